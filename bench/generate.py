"""Write N realistic support cases for benchmarks: ``python bench/generate.py N OUTDIR [--seed S]``.

OUTDIR/cases/<product>/<id>.md and OUTDIR/root-causes.yml (RC-1..RC-20), valid per
spec/case-format.md. Problems follow a power law (a few problems make most cases);
each case copies its problem's fix with small edits (steps reordered, a version or a
path changed, a typo, a sentence added), as agents do. About 8% of problems share a
short generic fix ("Restart the application.") with unrelated problems, the trap for a
measure that looks at solutions only. Dates spread over a year; a few cases are internal.

``--shape hard`` (what ``bench/bench_dedupe.py`` measures) is the shape where solutions
alone cannot tell problems apart: each problem has its own symptom, error code, component
and version, but its fix is 2-4 steps drawn from a small shared pool of generic steps
(sign out and in, restart a service, clear the cache, upgrade, proxy bypass, ...), so
many different problems share the same steps. Copies change the fix a little (two steps
swapped, a typo, a step added) and word the problem differently; about one case in
sixteen does not quote the error code at all. Every problem of three
or more cases gets its own root cause (thousands of entries at 100,000 cases), and
OUTDIR/truth.tsv maps every case id to its problem number: the ground truth for pair
precision and recall.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

PRODUCTS = {
    "Acme Sync": ["sync", "authentication", "installer", "sharing", "network"],
    "Globex Mail": ["sending", "calendar", "search", "accounts", "signatures"],
    "Initech Ledger": ["invoices", "banking", "payroll", "tax", "reports"],
    "Umbrella POS": ["till", "payments", "printing", "promotions", "inventory"],
    "Hooli Meet": ["audio", "video", "recording", "calendar", "web client"],
    "Stark Print": ["driver", "scanning", "network", "paper handling", "toner"],
}
FEATURES = ["upload", "login", "export", "import", "preview", "notification", "backup", "report", "search",
            "dashboard", "sync", "invoice", "printing", "update", "license", "template", "attachment", "profile",
            "schedule", "connector", "archive", "webhook", "barcode", "camera", "microphone", "queue"]
STATES = ["Connecting", "Indexing", "Waiting", "Processing", "Pending", "Starting", "Loading", "Verifying"]
TRIGGERS = ["after upgrading to {v}", "since the update to {v}", "after a password change", "after moving to a new laptop",
            "since the office changed its router", "after Windows updates were installed", "on the first start",
            "when working from home over VPN", "after the nightly maintenance", "since daylight saving time started"]
SYMPTOMS = ['{f} fails with "{e}"', "{f} is stuck at {s}", "{f} shows a blank page", "{f} is very slow",
            "{f} crashes on start", "{f} runs twice", "{f} shows the wrong data", "{f} never finishes"]
AREAS = ["Advanced", "Network", "Accounts", "Privacy", "Storage", "Devices", "Display", "Security", "Updates",
         "Integrations", "Notifications", "Sharing", "Backup", "Language", "Performance"]
KEY_PARTS = (["max", "enable", "use", "skip", "allow", "retry", "force", "keep", "prefer", "disable", "legacy", "auto"],
             ["Upload", "Thread", "Cache", "Proxy", "Token", "Index", "Render", "Spool", "Relay", "Delta", "Socket",
              "Session", "Journal", "Thumbnail", "Codec", "Locale", "Ledger", "Drawer", "Scanner", "Webhook"],
             ["Limit", "Mode", "Timeout", "Count", "Policy", "Path", "Level", "Window", "Size", "Check"])
OPTIONS = ["Use legacy renderer", "Delta upload", "Hardware acceleration", "Background refresh", "Strict TLS",
           "Offline cache", "Smart retry", "Compact mode", "Auto-detect proxy", "Parallel transfers", "Verbose logging",
           "Batch mode", "Send read receipts", "Local index", "Automatic updates", "Power saving", "Safe mode",
           "Fast start", "Low bandwidth mode", "Single sign-on", "Cloud relay", "Shared cache", "Prefetch",
           "Keep local copies", "Encrypt at rest", "Time zone override", "Rounding per invoice", "Duplex unit"]
FOLDERS = ["cache", "queue", "index", "state", "tokens", "logs", "spool", "temp", "profiles", "plugins", "drafts"]
ROOTS = ["%LOCALAPPDATA%\\{p}", "%APPDATA%\\{p}", "C:\\ProgramData\\{p}", "~/Library/Application Support/{p}",
         "~/.config/{p}", "D:\\Apps\\{p}"]
COMMANDS = ["net stop spooler", "ipconfig /flushdns", "sfc /scannow", "certutil -generateSSTFromWU roots.sst",
            "netsh winhttp reset proxy", "w32tm /resync", "gpupdate /force", "klist purge"]
STEP_TEMPLATES = [
    "Open **Settings > {area}** and turn {onoff} **{option}**.",
    "Quit {product} completely from the tray menu.",
    "Delete the folder `{root}\\{folder}`.",
    "Run `{command}` in an administrator command prompt.",
    "Sign out of {product} and sign in again.",
    "Download the {v} installer and run it as administrator.",
    "In **Admin > {area}**, select the user and click **Reset {feature}**.",
    "Set **{option}** to *{level}* under **Preferences > {area}**.",
    "Check that the {feature} connector is enabled in **Integrations**.",
    "Start {product} again and wait until the {feature} finishes.",
    "Ask the customer's IT team to allow {host} on port {port}.",
    "Set `{key}` to `{value}` in `{conf}`.",
    "Add the registry value `HKCU\\Software\\{vendor}\\{key}` and set it to {value}.",
    "Re-create the {feature} from **{area} > New** with the same settings.",
]
GENERIC = ["Restart the application.", "1. Restart the application.", "Clear the browser cache and reload the page.",
           "Sign out and sign in again.", "Update to the latest version.", "Reinstall the application.",
           "Restart the computer."]
EXTRA = ["If the problem comes back, collect the logs from **Help > Export logs** and escalate.",
         "This can take up to 15 minutes on large accounts.", "Tell the customer the fix is planned for the next release.",
         "On managed laptops IT may need to do this step.", "Check afterwards that the status icon is green."]
LEVELS = ["High", "Low", "Automatic", "Off", "Always", "Never"]
COMPANY = ["Bluefin", "Northgate", "Copperleaf", "Ironbark", "Silverline", "Redwood", "Oakmont", "Brightwater",
           "Stonebridge", "Maplecrest", "Harborview", "Greenfield", "Summit", "Lakeside", "Westbrook", "Eastwind"]
TRADE = ["Logistics", "Dental", "Bakery", "Architects", "Legal", "Clinic", "Hotels", "Motors", "Foods", "Studios"]
KINDS = ["defect", "usability", "documentation", "configuration", "third-party", "by-design"]
STATUSES = ["open", "investigating", "fix-planned", "fixed", "wont-fix"]


@dataclass
class Problem:
    product: str
    component: str
    titles: list[str]
    statements: list[str]
    steps: list[str]
    root_cause: str | None
    tags: list[str]


def _version(rng: random.Random) -> str:
    return f"{rng.randint(3, 8)}.{rng.randint(0, 9)}.{rng.randint(0, 12)}"


def _slot(rng: random.Random, product: str) -> dict[str, str]:
    return {
        "area": rng.choice(AREAS), "option": rng.choice(OPTIONS), "onoff": rng.choice(["on", "off"]),
        "product": product, "folder": rng.choice(FOLDERS), "command": rng.choice(COMMANDS), "v": _version(rng),
        "root": rng.choice(ROOTS).format(p=product.split()[0]), "feature": rng.choice(FEATURES),
        "level": rng.choice(LEVELS), "host": f"{rng.choice(FEATURES)}.{product.split()[0].lower()}.example",
        "port": str(rng.choice([443, 8443, 8080, 587, 993])), "key": _key(rng), "value": rng.choice(["true", "false", "0", "2"]),
        "conf": rng.choice(["settings.json", "client.ini", "app.config", "prefs.xml"]), "vendor": product.split()[0],
    }


def _key(rng: random.Random) -> str:
    return "".join(rng.choice(part) for part in KEY_PARTS)


def make_problem(rng: random.Random) -> Problem:
    product = rng.choice(sorted(PRODUCTS))
    component = rng.choice(PRODUCTS[product])
    feature, state = rng.choice(FEATURES), rng.choice(STATES)
    error = f"E{rng.randint(1000, 9999)} {rng.choice(['Access denied', 'Timeout', 'Invalid token', 'Not found', 'Conflict'])}"
    symptom = rng.choice(SYMPTOMS).format(f=f"The {feature}", e=error, s=state)
    trigger = rng.choice(TRIGGERS).format(v=_version(rng))
    titles = [f"{symptom} {trigger}", f"{product}: {symptom.lower()}", f"{feature.capitalize()} problem {trigger}"]
    statements = [
        f"{symptom} {trigger}. It happens for every user of the {component} area.",
        f"Customer reports: {symptom.lower()} in {product} {trigger}.",
        f"{symptom} in {product}. Started {trigger}; other features work.",
    ]
    if rng.random() < 0.08:
        steps = [rng.choice(GENERIC)]
    else:
        steps = [rng.choice(STEP_TEMPLATES).format(**_slot(rng, product)) for _ in range(rng.randint(1, 5))]
        steps.insert(rng.randrange(len(steps) + 1), rng.choice(STEP_TEMPLATES[-2:]).format(**_slot(rng, product)))
    root_cause = f"RC-{rng.randint(1, 20)}" if rng.random() < 0.4 else None
    return Problem(product, component, titles, statements, steps, root_cause, [component.replace(" ", "-"), feature])


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if w.isalpha() and len(w) > 4]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    k = rng.randrange(1, len(w) - 1)
    words[i] = w[:k] + w[k + 1 :]
    return " ".join(words)


def edit_solution(rng: random.Random, problem: Problem) -> str:
    """The problem's fix as one agent wrote it: usually with one or two small edits."""
    steps = list(problem.steps)
    for _ in range(rng.choice([0, 1, 1, 2])):
        edit = rng.choice(["reorder", "version", "path", "typo", "sentence"])
        if edit == "reorder" and len(steps) > 1:
            i = rng.randrange(len(steps) - 1)
            steps[i], steps[i + 1] = steps[i + 1], steps[i]
        elif edit == "version":
            steps = [s.replace("installer", f"{_version(rng)} installer", 1) if "installer" in s else s for s in steps]
        elif edit == "path":
            steps = [s.replace("%LOCALAPPDATA%", "%APPDATA%").replace("C:\\", "D:\\") for s in steps]
        elif edit == "typo":
            i = rng.randrange(len(steps))
            steps[i] = _typo(rng, steps[i])
        elif edit == "sentence" and len(steps) > 1:
            steps.append(rng.choice(EXTRA))
    if len(steps) == 1:
        return steps[0]
    return "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1))


def write_case(out: Path, number: int, rng: random.Random, problem: Problem, resolved: date, customers: list[str],
               solution: str | None = None) -> None:
    case_id = f"CASE-{number:06d}" if solution is not None else f"CASE-{resolved.year}-{number:06d}"
    opened = resolved - timedelta(days=rng.choice([0, 0, 1, 2, 5]))
    versions = sorted({_version(rng) for _ in range(rng.randint(1, 2))})
    statement = rng.choice(problem.statements)
    if rng.random() < 0.3:
        statement += f" Seen on {rng.choice(['Windows 11', 'Windows 10', 'macOS 14', 'macOS 15', 'Ubuntu 24.04'])}."
    visibility = "internal" if rng.random() < 0.05 else "public"
    lines = [
        "---",
        f"id: {case_id}",
        f"title: '{rng.choice(problem.titles)}'".replace('"', ""),
        f"product: {problem.product}",
        f"resolved: {resolved.isoformat()}",
        f"opened: {opened.isoformat()}",
        f"versions: [{', '.join(repr(v) for v in versions)}]",
        f"component: {problem.component}",
        f"tags: [{', '.join(problem.tags)}]",
        f"handle_minutes: {rng.randint(5, 180)}",
        f"customer: {rng.choice(customers)}",
    ]
    if problem.root_cause:
        lines.append(f"root_cause: {problem.root_cause}")
    lines += [f"visibility: {visibility}", "---", "", "## Problem", statement, "", "## Environment",
              f"- {problem.product} {versions[-1]}", "", "## Solution",
              edit_solution(rng, problem) if solution is None else solution, "",
              "## Internal notes", f"Ticket {rng.randint(10000, 99999)}.", ""]
    folder = out / "cases" / problem.product.lower().replace(" ", "-")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{case_id.lower()}.md").write_text("\n".join(lines), encoding="utf-8")


def write_root_causes(out: Path, rng: random.Random) -> None:
    lines = []
    for n in range(1, 21):
        status = rng.choice(STATUSES)
        lines += [f"RC-{n}:", f"  title: Root cause number {n}", f"  kind: {rng.choice(KINDS)}", f"  status: {status}",
                  f"  tracker: https://tracker.example.com/KB-{1000 + n}"]
        if status == "fixed":
            lines += [f'  fixed_in: "{_version(rng)}"', f"  fixed_on: 2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"]
    (out / "root-causes.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate(n: int, out: Path, seed: int = 1, distinct: bool = False) -> None:
    """``distinct``: every case a problem of its own, so N cases make about N articles (for page-count benchmarks)."""
    rng = random.Random(seed)
    problems = [make_problem(rng) for _ in range(n if distinct else max(10, n // 6))]
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(problems))]  # power law: a few problems dominate
    customers = [f"{rng.choice(COMPANY)} {rng.choice(TRADE)} {k}" for k in range(max(20, n // 20))]
    start = date(2025, 7, 1)
    chosen = problems if distinct else rng.choices(problems, weights, k=n)
    for number, problem in enumerate(chosen, 1):
        write_case(out, number, rng, problem, start + timedelta(days=rng.randrange(365)), customers)
    write_root_causes(out, rng)


# ---------------------------------------------------------------- the hard shape

POOL_SIZE = 14
"""How many of the generic steps the fixes draw from: the fewer, the more problems share a fix word for word."""
SERVICES = ["sync agent", "print spooler", "indexer", "update", "mail relay", "license", "background worker"]
BYPASS_HOSTS = ["*.acme.example", "api.globex.example", "login.initech.example", "cdn.hooli.example"]
POOL = [
    "Sign out of {product} and sign in again.",
    "Restart the {service} service.",
    "Clear the cache under **Settings > Storage** and restart {product}.",
    "Upgrade {product} to version {v}.",
    "Add `{host}` to the proxy bypass list.",
    "Restart the computer.",
    "Reinstall {product} and keep the local data when asked.",
    "Check that the system clock is set automatically.",
    "Exclude the {product} folder from the antivirus scan.",
    "Run `ipconfig /flushdns` in a command prompt.",
    "Re-enter the license key under **Help > License**.",
    "Remove the account from {product} and add it again.",
    "Turn off **{option}** under **Settings > Advanced**.",
    "Ask IT to allow port {port} on the firewall.",
]
HARD_EXTRA = ["If it happens again, send the logs from **Help > Export logs**.", "Wait ten minutes before trying again.",
              "Check afterwards that the status icon is green."]
HARD_SYMPTOMS = ["{f} fails with `{e}`", "{f} stops with the error `{e}`", "{f} shows `{e}` and gives up",
                 "{f} returns `{e}` for some users", "{f} hangs, then the log says `{e}`"]
HARD_TRIGGERS = ["after the upgrade to {v}", "since version {v} was installed", "when two users edit at once",
                 "after the certificate renewal", "after a password change", "on the first start after {v}",
                 "when the laptop wakes from sleep", "behind the company proxy", "when the disk is almost full",
                 "after moving to a new laptop", "only on Monday mornings", "when the file name has accents"]


def _error_code(rng: random.Random, taken: set[str]) -> str:
    while True:
        code = rng.choice([f"E{rng.randint(1000, 99999)}", f"SQLSTATE {rng.randint(10000, 99999):05d}",
                           f"0x8007{rng.randint(0, 0xFFFF):04X}", f"ERR-{rng.randint(100, 9999)}"])
        if code not in taken:
            taken.add(code)
            return code


def make_hard_problem(rng: random.Random, number: int, taken: set[str], pool: int = POOL_SIZE) -> Problem:
    product = rng.choice(sorted(PRODUCTS))
    component = rng.choice(PRODUCTS[product])
    feature = rng.choice(FEATURES)
    version = _version(rng)
    code = _error_code(rng, taken)
    message = rng.choice(["Access denied", "Timeout", "Invalid token", "Not found", "Conflict", "Internal error",
                          "Connection reset", "Quota exceeded"])
    error = f"{code} {message}"
    symptom = rng.choice(HARD_SYMPTOMS).format(f=f"the {feature}", e=error)
    trigger = rng.choice(HARD_TRIGGERS).format(v=version)
    titles = [f"{product} {version}: {symptom} {trigger}".replace(": the", ": The"),
              f"{feature.capitalize()} error {code} in {component}",
              f"`{code}` from the {feature} {trigger}",
              f"{feature.capitalize()} broken in {product} {component} {trigger}"]
    statements = [
        f"In {product} {version}, {symptom} {trigger}. The {component} area is affected for every user.",
        f"Customer reports that {symptom} in the {component} area of {product} {version} {trigger}.",
        f"Since {version}, {symptom}. It started {trigger}; the rest of {component} works.",
        f"The {feature} in {product} {version} stopped working {trigger}; {component} is affected.",
    ]
    slots = {"product": product, "service": rng.choice(SERVICES), "v": _version(rng), "host": rng.choice(BYPASS_HOSTS),
             "option": rng.choice(OPTIONS), "port": str(rng.choice([443, 8443, 8080, 587, 993]))}
    steps = [step.format(**slots) for step in rng.sample(POOL[:pool], rng.randint(2, 4))]
    return Problem(product, component, titles, statements, steps, None, [component.replace(" ", "-"), feature])


def edit_hard_solution(rng: random.Random, problem: Problem) -> str:
    """The problem's fix as one agent wrote it: two steps swapped, a typo, a step added, or as it was."""
    steps = list(problem.steps)
    for _ in range(rng.choice([0, 1, 1, 2])):
        edit = rng.choice(["swap", "typo", "add"])
        if edit == "swap":
            i, j = rng.sample(range(len(steps)), 2)
            steps[i], steps[j] = steps[j], steps[i]
        elif edit == "typo":
            i = rng.randrange(len(steps))
            steps[i] = _typo(rng, steps[i])
        else:
            steps.insert(rng.randrange(len(steps) + 1), rng.choice(HARD_EXTRA))
    return "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1))


def generate_hard(n: int, out: Path, seed: int = 1, pool: int = POOL_SIZE) -> None:
    rng = random.Random(seed)
    taken: set[str] = set()
    problems = [make_hard_problem(rng, k, taken, pool) for k in range(max(10, n // 6))]
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(problems))]
    chosen = rng.choices(range(len(problems)), weights, k=n)
    counts = Counter(chosen)
    root_causes = []
    for k, problem in enumerate(problems):
        if counts[k] >= 3:
            problem.root_cause = f"RC-{len(root_causes) + 1}"
            root_causes.append(problem)
    customers = [f"{rng.choice(COMPANY)} {rng.choice(TRADE)} {k}" for k in range(max(20, n // 20))]
    start = date(2025, 7, 1)
    truth = []
    for number, k in enumerate(chosen, 1):
        problem = problems[k]
        write_case(out, number, rng, problem, start + timedelta(days=rng.randrange(365)), customers,
                   edit_hard_solution(rng, problem))
        truth.append(f"CASE-{number:06d}\t{k}")
    lines = []
    for problem in root_causes:
        status = rng.choice(STATUSES)
        lines += [f"{problem.root_cause}:", f"  title: {problem.titles[1]}".replace("`", ""),
                  f"  kind: {rng.choice(KINDS)}", f"  status: {status}",
                  f"  tracker: https://tracker.example.com/KB-{1000 + len(lines)}"]
        if status == "fixed":
            lines += [f'  fixed_in: "{_version(rng)}"', f"  fixed_on: 2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"]
    (out / "root-causes.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "truth.tsv").write_text("\n".join(truth) + "\n", encoding="utf-8")


def generate_huge(n: int, out: Path, seed: int = 1) -> None:
    """The adversarial shape for dedupe's grouping: one problem whose n copies all differ a little.

    Each copy is the hard shape's edit of one fix (steps swapped, a typo, a step added) plus the
    workstation it happened on (a name no other copy uses), so no two copies have the same words:
    one linked component of about n distinct texts, the case a method quadratic in the distinct
    texts of a component cannot survive. truth.tsv puts every case in problem 0.
    """
    rng = random.Random(seed)
    problem = make_hard_problem(rng, 0, set())
    customers = [f"{rng.choice(COMPANY)} {rng.choice(TRADE)} {k}" for k in range(max(20, n // 20))]
    start = date(2025, 7, 1)
    truth = []
    for number in range(1, n + 1):
        machine = "ws-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))
        solution = edit_hard_solution(rng, problem) + f"\n\nThe customer's workstation was `{machine}`."
        write_case(out, number, rng, problem, start + timedelta(days=rng.randrange(365)), customers, solution)
        truth.append(f"CASE-{number:06d}\t0")
    (out / "root-causes.yml").write_text("{}\n", encoding="utf-8")
    (out / "truth.tsv").write_text("\n".join(truth) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--distinct", action="store_true", help="one problem per case: about N articles")
    parser.add_argument("--shape", choices=["default", "hard", "huge"], default="default",
                        help="hard: generic shared steps, an error code per problem, truth.tsv; "
                             "huge: one problem whose copies all differ a little (dedupe's worst case)")
    parser.add_argument("--pool", type=int, default=POOL_SIZE, help="hard shape: how many generic steps fixes draw from")
    args = parser.parse_args()
    if args.shape == "hard":
        generate_hard(args.n, args.outdir, args.seed, args.pool)
    elif args.shape == "huge":
        generate_huge(args.n, args.outdir, args.seed)
    else:
        generate(args.n, args.outdir, args.seed, args.distinct)


if __name__ == "__main__":
    main()

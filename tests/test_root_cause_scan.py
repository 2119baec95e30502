"""Every field of root-causes.yml is scanned like case text (issue 10, class 3): a secret withholds the root cause."""

from __future__ import annotations

from tests.kb import case_text
from tests.test_validate import lines_of, run

RC = """\
RC-1:
  title: Token cache keeps AKIAIOSFODNN7EXAMPLE
  kind: defect
  status: open
RC-2:
  title: Proxy settings lost
  kind: defect
  status: open
  tracker: https://jdoe:Winter2026@tracker.acme.example/ACME-1
RC-3:
  title: Globex Corp's firewall blocks sync
  kind: third-party
  status: open
RC-4:
  title: Ask ops@corp.example about the relay
  kind: configuration
  status: open
RC-5:
  title: Clean root cause
  kind: defect
  status: fixed
  fixed_in: "sk-proj-abc123DEF456ghi789JKL012mno345"
"""


def test_secrets_and_customer_names_withhold_the_root_cause_and_name_the_line():
    files = {f"c{n}.md": case_text(f"CASE-{n}", extra_meta=f"root_cause: RC-{n}\ncustomer: Globex Corp\n") for n in range(1, 6)}
    out = run(files, RC)
    rc = lines_of(out, "content/root-causes.yml")
    assert any(line.startswith("2:error:root cause 'RC-1' field 'title' holds what looks like an AWS access key") for line in rc), rc
    assert any(line.startswith("9:error:root cause 'RC-2' field 'tracker' holds what looks like a password inside a URL") for line in rc), rc
    assert any(line.startswith("11:error:root cause 'RC-3' field 'title' names the customer 'Globex Corp'") for line in rc), rc
    assert any(line.startswith("15:warning:root cause 'RC-4' field 'title' holds an email address (ops@corp.example)") for line in rc), rc
    assert any(line.startswith("22:error:root cause 'RC-5' field 'fixed_in' holds what looks like an OpenAI key") for line in rc), rc
    assert sorted(out.root_causes) == ["RC-4"]
    published = sorted(c.id for c in out.cases)
    assert published == ["CASE-4"]
    assert "root cause 'RC-1' has an error in root-causes.yml, so it is not published" in out.rejected["c1.md"]


def test_allowed_addresses_in_root_causes_are_fine():
    out = run({}, "RC-9:\n  title: Mail support@acme.example first\n  kind: defect\n  status: open\n", allow=("@acme.example",))
    assert lines_of(out, "content/root-causes.yml") == [] and list(out.root_causes) == ["RC-9"]

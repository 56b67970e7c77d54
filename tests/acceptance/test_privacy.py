"""The privacy guard, run as the data team runs it: personal data in a placement or waiver is refused.

Two corpora in tests/data/privacy/ keep the guard honest: every sentence of
``ordinary.txt`` (rationale and progress text of the usual kind) must pass, and
every sentence of ``personal.txt`` (fictional personal data) must be caught by
the rule for its kind of value. All values are fictional: UPNs use the local
authority number 999, which no authority has, with check letters made here.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, RunCli

DATA = REPO_ROOT / "tests" / "data" / "privacy"
PLACEMENT = "records/placements/oakfield/oakfield-2026-001.yaml"
WAIVER = "records/waivers/brackenridge-staff-training-2026.yaml"
TODAY = "2026-11-28"
#: the letters of the UPN check character, A=0 ... Z=22 (I, O and S are never used)
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
RULE_OF_KIND = {"upn": "privacy-upn", "email": "privacy-email", "phone": "privacy-phone",
                "nino": "privacy-ni-number", "dob": "privacy-date-of-birth"}
PUSHED = ("If it was already pushed, tell the data protection officer: only an administrator can remove it from "
          "git history (by rewriting the history, for example with git filter-repo), and then every clone must be "
          "refreshed.")


def upn_with_check_letter(body: str) -> str:
    """A UPN made of a 12-character body (LA, establishment, year, serial; a letter last for a temporary UPN)
    and its check letter: the characters weighted 2 to 13, summed, modulo 23 (DfE UPN standard)."""
    assert len(body) == 12 and body[:11].isdigit()
    total = sum((int(c) if c.isdigit() else UPN_LETTERS.index(c.upper())) * weight
                for c, weight in zip(body, range(2, 14)))
    return UPN_LETTERS[total % 23] + body


def corpus(name: str) -> list[str]:
    lines = (DATA / name).read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def personal_cases() -> list[tuple[str, str]]:
    return [(kind.strip(), text.strip()) for kind, text in (line.split("|", 1) for line in corpus("personal.txt"))]


def check_json(run_cli: RunCli, root: Path) -> tuple[int, list[dict[str, object]]]:
    done = run_cli("check", "--today", TODAY, "--format", "json", root)
    assert "Traceback" not in done.stderr
    return done.returncode, json.loads(done.stdout)["findings"]


def set_line(path: Path, field: str, value: str) -> None:
    """Replace the ``field: ...`` line of a record with ``value`` (JSON-quoted, valid YAML); keeps its indent."""
    text = path.read_text("utf-8")
    text, count = re.subn(rf"(?m)^( *){field}: .*$", lambda m: f"{m[1]}{field}: {json.dumps(value)}", text)
    assert count == 1
    path.write_text(text, "utf-8")


def test_upns_in_the_corpus_are_fictional_and_carry_their_check_letter() -> None:
    upns = [re.search(r"[A-Z][0-9]{11}[0-9A-Z]", text, re.I) for kind, text in personal_cases() if kind == "upn"]
    assert len(upns) == 7 and all(upns)
    for match in upns:
        assert match is not None
        upn = match.group(0).upper()
        assert upn[1:4] in ("999",), f"{upn}: use the local authority number 999, which no authority has"
        assert upn_with_check_letter(upn[1:]) == upn


def test_the_check_letter_helper_agrees_with_a_published_example() -> None:
    # B801200005001 is the worked example of a valid UPN in python-stdnum's documentation
    assert upn_with_check_letter("801200005001") == "B801200005001"


def test_ordinary_text_raises_no_privacy_finding(run_cli: RunCli, register_copy: Path) -> None:
    sentences = corpus("ordinary.txt")
    assert len(sentences) >= 60
    placement = register_copy / PLACEMENT
    text = placement.read_text("utf-8")
    block = "objectives:\n" + "".join(f"  - {json.dumps(s)}\n" for s in sentences)
    text, count = re.subn(r"(?ms)^objectives:\n(  - .*?\n)+", block, text)
    assert count == 1
    placement.write_text(text, "utf-8")
    for sentence in sentences[:5]:
        set_line(register_copy / WAIVER, "reason", sentence)
    code, findings = check_json(run_cli, register_copy)
    assert [f for f in findings if str(f["rule"]).startswith("privacy")] == []
    assert code == 0


def test_every_kind_of_personal_data_is_caught_where_it_is(run_cli: RunCli, register_copy: Path) -> None:
    cases = personal_cases()
    placement = register_copy / PLACEMENT
    text = placement.read_text("utf-8")
    block = "objectives:\n" + "".join(f"  - {json.dumps(sentence)}\n" for _, sentence in cases)
    text, count = re.subn(r"(?ms)^objectives:\n(  - .*?\n)+", block, text)
    assert count == 1
    placement.write_text(text, "utf-8")
    first_line = text.splitlines().index("objectives:") + 2
    code, findings = check_json(run_cli, register_copy)
    assert code == 1
    found = {(f["path"], f["rule"]): f for f in findings if f["file"] == PLACEMENT}
    for index, (kind, sentence) in enumerate(cases):
        finding = found.get((f"objectives[{index}]", RULE_OF_KIND[kind]))
        assert finding is not None, f"not caught as {kind}: {sentence}"
        assert (finding["line"], finding["column"]) == (first_line + index, 5)
        assert finding["severity"] == "error" and finding["clause"] is None
    privacy = [f for f in findings if str(f["rule"]).startswith("privacy")]
    assert len(privacy) == len(cases), "each sentence is caught once, by the rule for its kind"


def test_a_upn_in_a_placement_is_refused_with_its_location_and_masked(run_cli: RunCli, register_copy: Path) -> None:
    upn = upn_with_check_letter("999999926001")
    set_line(register_copy / PLACEMENT, "rationale", f"Transferred in with UPN {upn} from another authority.")
    done = run_cli("check", "--today", TODAY, register_copy)
    assert done.returncode == 1
    assert (f"{PLACEMENT}:8:12: error [privacy-upn] rationale holds what looks like a Unique Pupil Number (R9…). "
            "This is personal data and must never be in the register: remove it and do not commit it (the pupil is "
            f"identified by pupil.ref alone). {PUSHED}") in done.stdout.splitlines()
    assert upn not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_upn_without_a_valid_check_letter_is_not_reported(run_cli: RunCli, register_copy: Path) -> None:
    upn = upn_with_check_letter("999999926001")
    wrong = UPN_LETTERS[(UPN_LETTERS.index(upn[0]) + 1) % 23] + upn[1:]
    set_line(register_copy / PLACEMENT, "rationale", f"Reference {wrong} in the MIS, which is not a UPN at all.")
    code, findings = check_json(run_cli, register_copy)
    assert [f for f in findings if f["rule"] == "privacy-upn"] == []
    assert code == 0


def test_an_e_mail_address_in_a_waiver_is_refused(run_cli: RunCli, register_copy: Path) -> None:
    set_line(register_copy / WAIVER, "reason", "Agreed with the parent, jo.sample@example.org, at the review.")
    done = run_cli("check", "--today", TODAY, register_copy)
    assert done.returncode == 1
    assert (f"{WAIVER}:5:9: error [privacy-email] reason holds what looks like an e-mail address (jo…). "
            "This is personal data and must never be in the register: remove it and do not commit it (a waiver "
            f"names a record and a rule, never a person's details). {PUSHED}") in done.stdout.splitlines()
    assert "jo.sample@example.org" not in done.stdout


def test_a_pupils_name_added_to_a_placement_is_refused(run_cli: RunCli, register_copy: Path) -> None:
    placement = register_copy / PLACEMENT
    placement.write_text(placement.read_text("utf-8").replace("  year_group: 9\n",
                                                              "  year_group: 9\n  name: Sam Example\n"), "utf-8")
    done = run_cli("check", "--today", TODAY, register_copy)
    assert done.returncode == 1
    assert (f"{PLACEMENT}:7:3: error [privacy-unknown-field] 'name' cannot be recorded about a pupil. The pupil "
            "block holds only ref, year_group, ehc_plan, looked_after and sen_support: never a name, date of birth, "
            "UPN, address or health details. Remove it, and do not commit it.") in done.stdout.splitlines()


def test_a_waiver_cannot_waive_a_privacy_finding(run_cli: RunCli, register_copy: Path) -> None:
    set_line(register_copy / PLACEMENT, "rationale", "Mum's mobile is 07700 900123, call before sessions.")
    (register_copy / "records" / "waivers" / "phone-allowed.yaml").write_text(
        "id: phone-allowed\nrule: privacy-phone\nrecord: oakfield-2026-001\n"
        "reason: The family asked for the number to be kept with the placement record.\n"
        "approved_by:\n  name: Dr Avery Sampleton\napproved_on: 2026-09-01\nexpires_on: 2027-07-31\n", "utf-8")
    code, findings = check_json(run_cli, register_copy)
    phone = [f for f in findings if f["rule"] == "privacy-phone"]
    assert [(f["file"], f["line"], f["column"], f["severity"], f.get("waived_by")) for f in phone] == [
        (PLACEMENT, 8, 12, "error", None)]
    assert code == 1


def test_provider_business_contacts_are_allowed(run_cli: RunCli, register_copy: Path) -> None:
    provider = register_copy / "records" / "providers" / "hillcrest-learning-centre.yaml"
    assert "email: admissions@hillcrest.example.org" in provider.read_text("utf-8")
    set_line(provider, "experience", "Staff can be reached on 0161 496 0123 or office@hillcrest.example.org.")
    code, findings = check_json(run_cli, register_copy)
    assert [f for f in findings if str(f["rule"]).startswith("privacy")] == []
    assert code == 0


def test_the_pupil_block_is_guarded_even_if_the_schema_is_loosened(run_cli: RunCli, register_copy: Path) -> None:
    for folder in ("rules", "schemas", "policy"):
        shutil.copytree(REPO_ROOT / folder, register_copy / folder)
    schema_path = register_copy / "schemas" / "placement.schema.json"
    schema = json.loads(schema_path.read_text("utf-8"))
    schema["properties"]["pupil"]["additionalProperties"] = True  # a mistake in a later schema change
    schema_path.write_text(json.dumps(schema, indent=2), "utf-8")
    placement = register_copy / PLACEMENT
    placement.write_text(placement.read_text("utf-8").replace("  year_group: 9\n",
                                                              "  year_group: 9\n  name: Sam Example\n"), "utf-8")
    code, findings = check_json(run_cli, register_copy)
    # the field is refused by the rule's own assertion; its value is also a name in text
    assert [(f["rule"], f["line"], f["column"], f["path"]) for f in findings if f["file"] == PLACEMENT] == [
        ("privacy-personal-name", 7, 9, "pupil.name"), ("privacy-unknown-field", 7, 9, "pupil.name")]
    assert code == 1


@pytest.mark.parametrize("rule_id", sorted(RULE_OF_KIND.values()) + ["privacy-unknown-field"])
def test_privacy_rules_are_explained_as_not_waivable(run_cli: RunCli, rule_id: str) -> None:
    done = run_cli("explain", rule_id)
    assert done.returncode == 0
    assert "Severity:   error (cannot be waived)" in done.stdout.splitlines()
    assert "Category:   privacy" in done.stdout.splitlines()


# --- issue 15 (nothing echoed, text as written) and issue 12 (names, dates of birth, references) -------------------

PACK = ("--pack", str(REPO_ROOT))


def privacy_findings(run_cli: RunCli, root: Path) -> list[tuple[object, ...]]:
    """(rule, severity, clause, file, line, column, path) of every privacy finding (and file-hidden)."""
    done = run_cli("check", "--today", TODAY, "--format", "json", *PACK, root)
    assert "Traceback" not in done.stderr
    return [(f["rule"], f["severity"], f["clause"], f["file"], f["line"], f["column"], f["path"])
            for f in json.loads(done.stdout)["findings"]
            if str(f["rule"]).startswith("privacy") or f["rule"] == "file-hidden"]


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github", "junit"])
def test_a_value_with_a_phone_number_is_never_echoed_by_another_rule(run_cli: RunCli, register_copy: Path,
                                                                     output_format: str) -> None:
    set_line(register_copy / PLACEMENT, "rationale", "Call mum on 07700 900123 please.")
    done = run_cli("check", "--today", TODAY, "--format", output_format, *PACK, register_copy)
    assert done.returncode == 1
    assert "900123" not in done.stdout + done.stderr
    assert "placement-rationale-substantive" in done.stdout  # the other rule still speaks, with the value masked
    assert "Call mum on 07…" in done.stdout or "Call mum on 07\\u2026" in done.stdout


def test_the_markdown_report_does_not_echo_it_either(run_cli: RunCli, register_copy: Path, tmp_path: Path) -> None:
    set_line(register_copy / PLACEMENT, "rationale", "Call mum on 07700 900123 please.")
    out = tmp_path / "report.md"
    done = run_cli("report", "--today", TODAY, *PACK, "-o", out, register_copy)
    assert done.returncode == 0, done.stderr
    assert "900123" not in out.read_text("utf-8")


def test_an_unknown_field_whose_name_is_a_phone_number_is_masked(run_cli: RunCli, register_copy: Path) -> None:
    placement = register_copy / PLACEMENT
    placement.write_text(placement.read_text("utf-8") + "'07700 900123': call after six\n", "utf-8")
    done = run_cli("check", "--today", TODAY, "--format", "json", *PACK, register_copy)
    assert "900123" not in done.stdout
    findings = json.loads(done.stdout)["findings"]
    # outside the pupil block an unknown field is a spelling problem (the schema's), reported at the key, masked
    unknown = [f for f in findings if f["file"] == PLACEMENT and "is not a placement field" in f["message"]]
    assert [(f["rule"], f["clause"], f["path"], f["column"], f["message"]) for f in unknown] == [
        ("schema", None, "07…", 1, "'07…' is not a placement field. Check its spelling, or remove it.")]


@pytest.mark.parametrize(("field", "value"), [
    ("objectives", "Agreed with the family: call 07700 900123 before sessions."),
    ("medical", "MIS-MED-1 and 07700 900123"),
])
def test_objectives_and_references_are_masked_wherever_quoted(run_cli: RunCli, register_copy: Path, field: str,
                                                              value: str) -> None:
    placement = register_copy / PLACEMENT
    text = placement.read_text("utf-8")
    if field == "objectives":
        text = re.sub(r"(?m)^objectives:\n  - .*$", f"objectives:\n  - {json.dumps(value)}", text)
    else:
        text += f"medical_evidence:\n  reference: {json.dumps(value)}\n  received_on: 2026-08-01\n"
    placement.write_text(text, "utf-8")
    done = run_cli("check", "--today", TODAY, "--format", "sarif", *PACK, register_copy)
    assert "900123" not in done.stdout


@pytest.mark.parametrize(("rule", "sentence"), [
    ("privacy-phone", "Call home on 07700\u00a0900123 if absent."),
    ("privacy-phone", "Call home on 07700\u202f900\u2009123 if absent."),
    ("privacy-ni-number", "Carer NI number QQ\u00a012\u00a034\u00a056\u00a0C on file."),
    ("privacy-phone", "Call home on \uff10\uff17\uff17\uff10\uff10 900123 (full-width digits)."),
])
def test_spaces_pasted_from_word_or_outlook_do_not_hide_a_number(run_cli: RunCli, register_copy: Path, rule: str,
                                                                 sentence: str) -> None:
    set_line(register_copy / PLACEMENT, "rationale", sentence)
    assert (rule, "error", None, PLACEMENT, 8, 12, "rationale") in privacy_findings(run_cli, register_copy)


def test_a_number_wrapped_across_the_lines_of_a_block_is_found(run_cli: RunCli, register_copy: Path) -> None:
    placement = register_copy / PLACEMENT
    text = placement.read_text("utf-8")
    text = re.sub(r"(?m)^rationale: .*$", "rationale: |\n  Small-group teaching in English and maths, and the\n"
                  "  family can be called on 07700\n  900123 in the evenings about progress.", text)
    placement.write_text(text, "utf-8")
    assert ("privacy-phone", "error", None, PLACEMENT, 8, 12, "rationale") in privacy_findings(run_cli, register_copy)


def test_a_comment_is_scanned_like_a_value(run_cli: RunCli, register_copy: Path) -> None:
    upn = upn_with_check_letter("999999926001")
    placement = register_copy / PLACEMENT
    lines = placement.read_text("utf-8").splitlines(keepends=True)
    lines.insert(3, f"# pupil UPN {upn}, DOB 12/03/2012\n")
    placement.write_text("".join(lines), "utf-8")
    found = privacy_findings(run_cli, register_copy)
    assert ("privacy-upn", "error", None, PLACEMENT, 4, 1, "") in found
    assert ("privacy-date-of-birth", "error", None, PLACEMENT, 4, 1, "") in found
    done = run_cli("check", "--today", TODAY, *PACK, register_copy)
    assert f"{PLACEMENT}:4:1: error [privacy-upn] The comment on line 4 holds what looks like a Unique Pupil" \
        in done.stdout
    assert upn not in done.stdout


@pytest.mark.parametrize("name", ["records/placements/oakfield/.draft.yaml",
                                  "records/placements/oakfield/.oakfield-2026-001.yaml.swp"])
def test_a_hidden_file_in_records_is_a_finding(run_cli: RunCli, register_copy: Path, name: str) -> None:
    (register_copy / name).write_bytes((register_copy / PLACEMENT).read_bytes())
    assert privacy_findings(run_cli, register_copy) == [("file-hidden", "error", None, name, 1, 1, "")]


def test_a_upn_in_a_providers_free_text_is_found(run_cli: RunCli, register_copy: Path) -> None:
    provider = register_copy / "records" / "providers" / "hillcrest-learning-centre.yaml"
    set_line(provider, "experience", f"Taught UPN {upn_with_check_letter('999999926001')} last year.")
    line = provider.read_text("utf-8").splitlines().index(
        next(l for l in provider.read_text("utf-8").splitlines() if "experience:" in l)) + 1
    found = privacy_findings(run_cli, register_copy)
    assert [f[:4] + f[6:] for f in found] == [
        ("privacy-upn", "error", None, "records/providers/hillcrest-learning-centre.yaml", "staff.experience")]
    assert found[0][4] == line


@pytest.mark.parametrize("sentence", ["Born 12/03/2012 and new to the area.", "She was born 12 March 2012.",
                                      "Birthday 12/03/2012, so the placement spans it.",
                                      "Details: DOB12/03/2012 as on the MIS."])
def test_a_date_after_a_birth_word_is_an_error(run_cli: RunCli, register_copy: Path, sentence: str) -> None:
    set_line(register_copy / PLACEMENT, "rationale", sentence)
    assert privacy_findings(run_cli, register_copy) == [
        ("privacy-date-of-birth", "error", None, PLACEMENT, 8, 12, "rationale")]


def test_a_full_date_of_school_age_without_a_birth_word_is_a_warning(run_cli: RunCli, register_copy: Path) -> None:
    set_line(register_copy / PLACEMENT, "rationale", "Joined the trust on 12/03/2014 from a school out of area.")
    assert privacy_findings(run_cli, register_copy) == [
        ("privacy-pupil-age-date", "warning", None, PLACEMENT, 8, 12, "rationale")]


def test_a_long_reference_starting_with_0_is_not_a_phone_number(run_cli: RunCli, register_copy: Path) -> None:
    set_line(register_copy / PLACEMENT, "rationale",
             "Evidence is held in the MIS as MIS-DOC-0412345678 for the review of the placement.")
    assert privacy_findings(run_cli, register_copy) == []


def test_a_pupils_name_in_free_text_is_found_and_staff_names_are_not(run_cli: RunCli, register_copy: Path) -> None:
    set_line(register_copy / PLACEMENT, "rationale",
             "Sam Example will re-engage with English in small groups, as agreed with Robin Testwood.")
    set_line(register_copy / WAIVER, "reason", "The Summer Term sessions are agreed with the provider lead again.")
    assert privacy_findings(run_cli, register_copy) == [
        ("privacy-personal-name", "error", None, PLACEMENT, 8, 12, "rationale")]
    done = run_cli("check", "--today", TODAY, *PACK, register_copy)
    assert "Sam Example" not in done.stdout


def test_a_first_name_and_an_initial_is_found(run_cli: RunCli, register_copy: Path) -> None:
    set_line(register_copy / WAIVER, "reason", "Agreed at the meeting with Jodie K. and the provider lead.")
    assert privacy_findings(run_cli, register_copy) == [("privacy-personal-name", "error", None, WAIVER, 5, 9, "reason")]


def test_a_history_timeline_masks_what_the_scans_refuse(run_cli: RunCli, register_copy: Path) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=Ann Example", "-c", "user.email=ann@example.org", *args],
                       cwd=register_copy, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "Start the register")
    set_line(register_copy / PLACEMENT, "rationale", "Call mum on 07700 900123 please, she is happy to talk.")
    git("commit", "-qam", "Edit the rationale")
    for output_format in ("text", "json"):
        done = run_cli("history", "oakfield-2026-001", *PACK, "--format", output_format, cwd=register_copy)
        assert done.returncode == 0, done.stderr
        assert "900123" not in done.stdout
        assert "Call mum on 07…" in done.stdout


def test_a_comment_finding_survives_a_cached_run_that_evaluates_the_record_again(run_cli: RunCli,
                                                                                 register_copy: Path,
                                                                                 tmp_path: Path) -> None:
    upn = upn_with_check_letter("999999926001")
    placement = register_copy / PLACEMENT
    placement.write_text(f"# pupil UPN {upn}\n" + placement.read_text("utf-8"), "utf-8")
    env = {"AP_LINT_CACHE_DIR": str(tmp_path / "cache")}
    expected = ("privacy-upn", "error", None, PLACEMENT, 1, 1, "")
    first = run_cli("check", "--today", TODAY, "--format", "json", *PACK, register_copy, env=env)
    assert expected in [(f["rule"], f["severity"], f["clause"], f["file"], f["line"], f["column"], f["path"])
                        for f in json.loads(first.stdout)["findings"]]
    school = register_copy / "records" / "schools" / "oakfield.yaml"
    school.write_text(school.read_text("utf-8") + "# a comment that changes the school's bytes\n", "utf-8")
    again = run_cli("check", "--today", TODAY, "--format", "json", *PACK, register_copy, env=env)
    assert expected in [(f["rule"], f["severity"], f["clause"], f["file"], f["line"], f["column"], f["path"])
                        for f in json.loads(again.stdout)["findings"]]

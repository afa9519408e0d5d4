"""Stage playbooks: the bundled content and the loader's checks on a team's own directory."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from bot.playbooks import (
    LIFECYCLE_STAGES,
    Playbook,
    PlaybookError,
    PlaybookLibrary,
    bundled_playbooks_dir,
    load_playbooks,
)


@pytest.fixture(scope="module")
def library() -> PlaybookLibrary:
    return load_playbooks()


@pytest.fixture
def team_dir(tmp_path: Path) -> Path:
    """A copy of the bundled playbooks that a test can break one file at a time."""
    target = tmp_path / "team"
    target.mkdir()
    for path in bundled_playbooks_dir().glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


def read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def load_error(directory: Path) -> PlaybookError:
    with pytest.raises(PlaybookError) as caught:
        load_playbooks(directory)
    return caught.value


# --- bundled content -------------------------------------------------------------------------


def test_bundled_library_has_the_four_lifecycle_stages_in_order_then_poc_change(
    library: PlaybookLibrary,
) -> None:
    assert (bundled_playbooks_dir() / "talk_tracks.yaml").is_file()
    assert LIFECYCLE_STAGES == ("onboarding", "adaptation", "growth", "renewal")
    assert library.lifecycle_stages == LIFECYCLE_STAGES
    assert list(library.playbooks) == [*LIFECYCLE_STAGES, "poc_change"]
    assert [library.for_stage(s).kind for s in LIFECYCLE_STAGES] == ["lifecycle"] * 4


def test_next_stage_chain_returns_from_renewal_to_growth_and_poc_change_leads_nowhere(
    library: PlaybookLibrary,
) -> None:
    chain = {stage: library.next_stage(stage) for stage in library.playbooks}
    assert chain == {
        "onboarding": "adaptation",
        "adaptation": "growth",
        "growth": "renewal",
        "renewal": "growth",
        "poc_change": None,
    }
    assert library.for_stage("poc_change").kind == "situational"


def test_onboarding_required_steps_are_all_due_within_the_first_week(
    library: PlaybookLibrary,
) -> None:
    onboarding = library.for_stage("onboarding")
    due = [s.due_offset_days for s in onboarding.required_steps]
    assert len(due) == 8
    assert max(due) <= 7
    assert onboarding.step("kickoff-call").talk_track == "kickoff-success"
    assert "what does success look like" in library.talk_track("kickoff-success").body.lower()


@pytest.mark.parametrize(
    ("stage", "expected_steps"),
    [
        ("onboarding", {"kickoff-call", "smart-goals", "internal-kickoff", "exec-sponsor-sync"}),
        ("adaptation", {"first-results-review", "call-recaps", "adjust-plan", "deadline-watch"}),
        ("growth", {"goals-questions", "portfolio-analysis", "pitch-service", "log-opportunities"}),
        ("renewal", {"start-renewal", "headline-metrics", "exec-involvement", "terms-agreed"}),
        ("poc_change", {"brief-exec-sponsor", "reintroduce", "mini-kickoff", "reconfirm-goals"}),
    ],
)
def test_each_playbook_has_its_key_steps(
    library: PlaybookLibrary, stage: str, expected_steps: set[str]
) -> None:
    assert expected_steps <= {s.id for s in library.for_stage(stage).steps}


def test_renewal_starts_on_entry_with_head_involvement_and_a_short_metric_list(
    library: PlaybookLibrary,
) -> None:
    renewal = library.for_stage("renewal")
    assert (renewal.steps[0].id, renewal.steps[0].due_offset_days) == ("start-renewal", 0)
    assert renewal.step("exec-involvement").owner_role == "head"
    assert "fewer than five" in library.talk_track("renewal-review-deck").body


def test_objection_track_walks_validate_clarify_ask_escalate_resolve(
    library: PlaybookLibrary,
) -> None:
    body = library.talk_track("objection-handling").body
    positions = [body.index(word) for word in ("Validate", "Clarify", "Ask", "Escalate", "Resolve")]
    assert positions == sorted(positions)


def test_every_playbook_has_five_to_nine_well_formed_steps(library: PlaybookLibrary) -> None:
    for playbook in library.playbooks.values():
        assert 5 <= len(playbook.steps) <= 9, playbook.stage
        assert playbook.objectives
        assert all(len(step.title) <= 70 and step.why for step in playbook.steps)


def test_every_talk_track_reference_resolves(library: PlaybookLibrary) -> None:
    referenced = {
        step.talk_track
        for playbook in library.playbooks.values()
        for step in playbook.steps
        if step.talk_track is not None
    } | set(library.walk.talk_tracks)
    assert all(library.talk_track(track_id).id == track_id for track_id in referenced)
    assert referenced == set(library.talk_tracks), "every bundled talk track is used by a step"


def test_unknown_stage_step_or_talk_track_raise_key_error(library: PlaybookLibrary) -> None:
    with pytest.raises(KeyError):
        library.for_stage("offboarding")
    with pytest.raises(KeyError):
        library.next_stage("offboarding")
    with pytest.raises(KeyError):
        library.talk_track("no-such-track")
    with pytest.raises(KeyError):
        library.for_stage("onboarding").step("no-such-step")


def test_loaded_playbooks_cannot_be_changed(library: PlaybookLibrary) -> None:
    onboarding = library.for_stage("onboarding")
    with pytest.raises(pydantic.ValidationError):
        onboarding.name = "Changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        library.playbooks["onboarding"] = onboarding  # type: ignore[index]


def test_required_steps_keep_playbook_order_and_skip_optional_ones(
    library: PlaybookLibrary,
) -> None:
    adaptation = library.for_stage("adaptation")
    required_ids = [s.id for s in adaptation.required_steps]
    assert "lead-health-check" not in required_ids
    assert required_ids == [s.id for s in adaptation.steps if s.required]


def test_playbook_model_rejects_an_empty_step_list() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        Playbook.model_validate(
            {"stage": "x", "name": "X", "summary": "s", "objectives": ["o"], "steps": []}
        )
    assert caught.value.errors()[0]["loc"] == ("steps",)


# --- a team's own directory -------------------------------------------------------------------


def test_a_valid_custom_directory_without_talk_tracks_uses_the_bundled_ones(
    team_dir: Path,
) -> None:
    (team_dir / "talk_tracks.yaml").unlink()
    growth = read(team_dir / "growth.yaml")
    growth["name"] = "Expansion"
    write(team_dir / "growth.yml", growth)
    (team_dir / "growth.yaml").unlink()
    library = load_playbooks(team_dir)
    assert library.for_stage("growth").name == "Expansion"
    assert library.talk_track("kickoff-success").title.startswith("Kick-off")


DROP = object()  # remove the key instead of setting it
INT = "Input should be a valid integer"
GE0 = "Input should be greater than or equal to 0"
LONG = "String should have at most 70 characters"
DUP = "duplicate step id 'exec-sponsor-sync' (first used at index 1)"
ROLE = "Input should be 'am', 'lead', 'head' or 'ops'"
BAD_STEPS = {
    "days-as-word": ("onboarding.yaml", 2, "due_offset_days", "three", INT),
    "days-quoted": ("renewal.yaml", 1, "due_offset_days", "10", INT),
    "days-negative": ("adaptation.yaml", 0, "due_offset_days", -1, GE0),
    "no-title": ("growth.yaml", 1, "title", DROP, "Field required"),
    "long-title": ("growth.yaml", 0, "title", "x" * 71, LONG),
    "duplicate-step-id": ("onboarding.yaml", 3, "id", "exec-sponsor-sync", DUP),
    "unknown-talk-track": ("adaptation.yaml", 0, "talk_track", "gone", "unknown talk track 'gone'"),
    "unknown-key": ("onboarding.yaml", 0, "colour", "blue", "Extra inputs are not permitted"),
    "bad-owner-role": ("onboarding.yaml", 0, "owner_role", "ceo", ROLE),
}


@pytest.mark.parametrize(
    ("file", "index", "key", "value", "reason"), list(BAD_STEPS.values()), ids=list(BAD_STEPS)
)
def test_a_malformed_step_is_reported_with_file_field_and_reason(
    team_dir: Path, file: str, index: int, key: str, value: object, reason: str
) -> None:
    data = read(team_dir / file)
    if value is DROP:
        del data["steps"][index][key]
    else:
        data["steps"][index][key] = value
    write(team_dir / file, data)

    error = load_error(team_dir)

    field = f"steps[{index}].{key}"
    assert (error.file, error.field, error.reason) == (str(team_dir / file), field, reason)
    assert str(error) == f"{team_dir / file}: {field}: {reason}"


def test_a_missing_lifecycle_stage_names_the_directory(team_dir: Path) -> None:
    (team_dir / "renewal.yaml").unlink()
    error = load_error(team_dir)
    assert (error.file, error.field) == (str(team_dir), "(directory)")
    assert error.reason == "no playbook for lifecycle stage 'renewal'"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("stage: growth\nsteps: [unclosed\n", "<stream end>' at line 3, column 1"),
        ("stage: growth\nstage: growth\n", "found duplicate key 'stage' at line 2, column 1"),
        ("# nothing yet\n", "the file is empty"),
    ],
    ids=["syntax-error", "repeated-key", "empty-file"],
)
def test_unusable_yaml_is_reported_as_a_yaml_error(team_dir: Path, text: str, reason: str) -> None:
    (team_dir / "growth.yaml").write_text(text, encoding="utf-8")
    error = load_error(team_dir)
    assert (error.file, error.field) == (str(team_dir / "growth.yaml"), "(yaml)")
    assert error.reason.endswith(reason)


def test_two_files_for_the_same_stage_are_rejected(team_dir: Path) -> None:
    shutil.copy(team_dir / "growth.yaml", team_dir / "growth_v2.yaml")
    error = load_error(team_dir)
    assert (error.file, error.field) == (str(team_dir / "growth_v2.yaml"), "stage")
    assert error.reason == "'growth' is already defined in growth.yaml"


def test_next_stage_must_name_a_known_lifecycle_stage(team_dir: Path) -> None:
    data = read(team_dir / "renewal.yaml")
    data["next_stage"] = "churned"
    write(team_dir / "renewal.yaml", data)
    error = load_error(team_dir)
    assert (error.file, error.field) == (str(team_dir / "renewal.yaml"), "next_stage")
    assert error.reason.startswith("unknown stage 'churned' (known: adaptation, growth, ")

    data["next_stage"] = "poc_change"
    write(team_dir / "renewal.yaml", data)
    assert load_error(team_dir).reason == "'poc_change' is situational, not a lifecycle stage"


def test_a_playbook_for_a_non_lifecycle_stage_must_be_marked_situational(team_dir: Path) -> None:
    data = read(team_dir / "poc_change.yaml")
    del data["kind"]
    write(team_dir / "poc_change.yaml", data)
    error = load_error(team_dir)
    assert (error.file, error.field) == (str(team_dir / "poc_change.yaml"), "kind")
    assert error.reason.endswith("mark it kind: situational")


def test_a_team_talk_track_file_replaces_the_bundled_one(team_dir: Path) -> None:
    tracks = [{"id": "kickoff-success", "title": "Our kick-off", "body": "Ask."}]
    write(team_dir / "talk_tracks.yaml", {"talk_tracks": tracks})
    error = load_error(team_dir)
    # Only "kickoff-success" exists now, so the first other reference (sorted files) fails.
    assert (error.file, error.field) == (str(team_dir / "adaptation.yaml"), "steps[0].talk_track")
    assert error.reason == "unknown talk track 'call-recap'"


def test_a_missing_directory_is_reported(tmp_path: Path) -> None:
    error = load_error(tmp_path / "nope")
    assert (error.file, error.field) == (str(tmp_path / "nope"), "(directory)")
    assert error.reason == "directory does not exist"

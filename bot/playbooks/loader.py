"""Read stage playbooks and talk tracks from a directory of YAML files and cross-check them.

Every ``*.yaml`` / ``*.yml`` file is a playbook except ``talk_tracks.yaml`` (or ``.yml``),
which holds the talk tracks, and ``objections.yaml``, the objection walkthrough. A team
directory (``ACCOUNTBOT_PLAYBOOKS_DIR``) must cover every lifecycle stage; when it has no
talk-track or walkthrough file the bundled one is used.
Any problem raises :class:`PlaybookError` naming the file, the field and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from bot.playbooks.objection_walk import ObjectionWalk
from bot.playbooks.schema import LIFECYCLE_STAGES, Playbook, TalkTrack, TalkTrackFile
from bot.yaml_files import YamlProblem, read_yaml

TALK_TRACKS_STEM = "talk_tracks"
OBJECTIONS_STEM = "objections"
NOT_PLAYBOOKS = frozenset({TALK_TRACKS_STEM, OBJECTIONS_STEM})
YAML_SUFFIXES = (".yaml", ".yml")

M = TypeVar("M", bound=BaseModel)


class PlaybookError(Exception):
    """A playbook directory or file is unusable; ``str(e)`` is ``"{file}: {field}: {reason}"``."""

    def __init__(self, file: str | Path, field: str, reason: str) -> None:
        self.file = str(file)
        self.field = field
        self.reason = reason
        super().__init__(f"{self.file}: {field}: {reason}")


@dataclass(frozen=True)
class PlaybookLibrary:
    """Every loaded playbook by stage key (lifecycle order first) and talk track by id."""

    playbooks: Mapping[str, Playbook]
    talk_tracks: Mapping[str, TalkTrack]
    objection_walk: ObjectionWalk | None = None

    @property
    def walk(self) -> ObjectionWalk:
        """The objection walkthrough (`load_playbooks` always loads one)."""
        if self.objection_walk is None:
            raise LookupError("this playbook library has no objection walkthrough")
        return self.objection_walk

    def for_stage(self, stage: str) -> Playbook:
        """The playbook for a stage or situation key; ``KeyError`` if there is none."""
        return self.playbooks[stage]

    def next_stage(self, stage: str) -> str | None:
        """The stage an account moves to after ``stage`` (renewal leads back to growth)."""
        return self.for_stage(stage).next_stage

    def talk_track(self, track_id: str) -> TalkTrack:
        """The talk track with this id; ``KeyError`` if there is none."""
        return self.talk_tracks[track_id]

    @property
    def lifecycle_stages(self) -> tuple[str, ...]:
        """The lifecycle stage keys in order: onboarding, adaptation, growth, renewal."""
        return tuple(s for s in LIFECYCLE_STAGES if s in self.playbooks)


def bundled_playbooks_dir() -> Path:
    """The directory holding the playbooks shipped with accountbot."""
    return Path(__file__).resolve().parent


def _read_yaml(path: Path) -> object:
    try:
        data = read_yaml(path)
    except YamlProblem as problem:
        raise PlaybookError(path, problem.field, problem.reason) from problem
    if data is None:
        raise PlaybookError(path, "(yaml)", "the file is empty")
    return data


def _dotted(loc: Iterable[int | str]) -> str:
    """``("steps", 2, "due_offset_days")`` -> ``"steps[2].due_offset_days"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def _validate(model: type[M], data: object, path: Path) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise PlaybookError(path, _dotted(first["loc"]), first["msg"]) from exc


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        reason = "is not a directory" if directory.exists() else "directory does not exist"
        raise PlaybookError(directory, "(directory)", reason)
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in YAML_SUFFIXES)


def _load_talk_tracks(files: list[Path], directory: Path) -> dict[str, TalkTrack]:
    if len(files) > 1:
        names = " and ".join(p.name for p in files)
        raise PlaybookError(directory, "(directory)", f"two talk-track files: {names}")
    if not files:
        bundled = bundled_playbooks_dir()
        if directory.resolve() == bundled:
            raise PlaybookError(directory, "(directory)", "no talk_tracks.yaml")
        files = [p for p in _yaml_files(bundled) if p.stem == TALK_TRACKS_STEM]
        return _load_talk_tracks(files, bundled)
    parsed = _validate(TalkTrackFile, _read_yaml(files[0]), files[0])
    return {t.id: t for t in parsed.talk_tracks}


def _load_walk(files: list[Path], directory: Path) -> tuple[ObjectionWalk, Path]:
    if len(files) > 1:
        names = " and ".join(p.name for p in files)
        raise PlaybookError(directory, "(directory)", f"two objection walkthroughs: {names}")
    if not files:
        bundled = bundled_playbooks_dir()
        if directory.resolve() == bundled:
            raise PlaybookError(directory, "(directory)", "no objections.yaml")
        return _load_walk([p for p in _yaml_files(bundled) if p.stem == OBJECTIONS_STEM], bundled)
    return _validate(ObjectionWalk, _read_yaml(files[0]), files[0]), files[0]


def _check_walk(walk: ObjectionWalk, path: Path, tracks: Mapping[str, TalkTrack]) -> None:
    for track in walk.talk_tracks:
        if track not in tracks:
            raise PlaybookError(path, "talk_track", f"unknown talk track {track!r}")


def _check_library(
    playbooks: dict[str, tuple[Playbook, Path]], tracks: Mapping[str, TalkTrack], directory: Path
) -> None:
    for stage in LIFECYCLE_STAGES:
        if stage not in playbooks:
            raise PlaybookError(
                directory, "(directory)", f"no playbook for lifecycle stage {stage!r}"
            )
    for playbook, path in playbooks.values():
        if playbook.next_stage is not None:
            target = playbooks.get(playbook.next_stage)
            if target is None:
                known = ", ".join(sorted(playbooks))
                reason = f"unknown stage {playbook.next_stage!r} (known: {known})"
                raise PlaybookError(path, "next_stage", reason)
            if target[0].kind != "lifecycle":
                reason = f"{playbook.next_stage!r} is situational, not a lifecycle stage"
                raise PlaybookError(path, "next_stage", reason)
        for index, step in enumerate(playbook.steps):
            if step.talk_track is not None and step.talk_track not in tracks:
                field = f"steps[{index}].talk_track"
                raise PlaybookError(path, field, f"unknown talk track {step.talk_track!r}")


def _check_kind(playbook: Playbook, path: Path) -> None:
    is_lifecycle_key = playbook.stage in LIFECYCLE_STAGES
    if playbook.kind == "lifecycle" and not is_lifecycle_key:
        stages = ", ".join(LIFECYCLE_STAGES)
        reason = f"stage {playbook.stage!r} is not one of {stages}; mark it kind: situational"
        raise PlaybookError(path, "kind", reason)
    if playbook.kind == "situational" and is_lifecycle_key:
        reason = f"{playbook.stage!r} is a lifecycle stage, so kind must be lifecycle"
        raise PlaybookError(path, "kind", reason)


def load_playbooks(directory: Path | None = None) -> PlaybookLibrary:
    """Load and cross-check the playbooks in ``directory`` (default: the bundled ones)."""
    directory = bundled_playbooks_dir() if directory is None else Path(directory)
    files = _yaml_files(directory)
    tracks = _load_talk_tracks([p for p in files if p.stem == TALK_TRACKS_STEM], directory)
    walk, walk_path = _load_walk([p for p in files if p.stem == OBJECTIONS_STEM], directory)

    loaded: dict[str, tuple[Playbook, Path]] = {}
    for path in files:
        if path.stem in NOT_PLAYBOOKS:
            continue
        playbook = _validate(Playbook, _read_yaml(path), path)
        _check_kind(playbook, path)
        if playbook.stage in loaded:
            other = loaded[playbook.stage][1].name
            raise PlaybookError(path, "stage", f"{playbook.stage!r} is already defined in {other}")
        loaded[playbook.stage] = (playbook, path)

    _check_library(loaded, tracks, directory)
    _check_walk(walk, walk_path, tracks)
    order = [*LIFECYCLE_STAGES, *sorted(k for k in loaded if k not in LIFECYCLE_STAGES)]
    return PlaybookLibrary(
        playbooks=MappingProxyType({k: loaded[k][0] for k in order}),
        talk_tracks=MappingProxyType(dict(tracks)),
        objection_walk=walk,
    )

"""codekiln as a NeMo RL environment: verification in codekiln's sandbox, rewards from the config, and
multi-turn debugging from the verifier's feedback.

Use (examples/nemo_rl/run_grpo_codekiln.py is the whole launcher, docs/integrations/nemo_rl.md the guide)::

    from codekiln.integrations.nemo_rl import register

    register()   # env "codekiln", its Ray actor's Python, and the processor "codekiln_data_processor"
    env = nemo_rl.environments.utils.create_env("codekiln", {"rewards": {"all_tests": 1.0}, "max_turns": 2})

- :class:`CodekilnEnvironment` is NeMo RL's ``EnvironmentInterface`` as a plain class: ``step(message_logs,
  metadata)`` returns :class:`EnvironmentReturn` (NeMo RL's six fields, in its order). Each sample's metadata
  (``extra_env_info``) names its problem, ``{"dataset": NAME, "task_id": ID, "language": L}``, or carries it,
  ``{"problem": <problem JSON>, "language": L}``; the data processor adds the stop strings and the template
  of a feedback turn. The answer verified is the log's last assistant message.
- :data:`CodekilnEnvironmentActor` (what ``register()`` names) is its Ray actor. Its ``step`` is asynchronous,
  so the one-sample calls of NeMo RL's async rollouts run side by side: a hanging sample holds up nobody but
  itself, for its sandbox time limit. ``ray.remote(CodekilnEnvironment)`` also works, one call at a time.
- :func:`codekiln_data_processor` has NeMo RL's processor signature and turns a row naming a codekiln problem
  into a ``DatumSpec``, prompted by :mod:`codekiln.train.prompts` as codekiln's own trainer prompts.

Rewards. A turn that ends the episode (the answer passes, is masked, or no turn is left) is rewarded with the
weighted total of the configured rewards; a turn that goes on to a feedback turn gets 0, so an episode's
reward is that of its last answer. With ``reward_components: true`` the rewards are NeMo RL main's dict,
``reward/<name>`` to each component's share of the total (the shares sum to it, as NeMo RL sums them);
NeMo RL v0.7.0 takes only the 1-D tensor of the default.

Feedback. A failed answer's feedback tells what failed, where and why, but by default (``show_expected:
false``) not what the tests expect, nor which of them returned a wrong result: shown those, a second answer
can special-case the expected values and earn the reward of an answer that solves nothing
(:mod:`codekiln.feedback`). ``show_expected: true`` shows them, where the model may see the tests anyway.
``public_tests: N`` (RLEF's public tests) shows the first N tests of a signature problem in full, and the reward
then counts the other tests alone.

Masked samples (the verifier failed, not the model) are reported, not scored 0: the sample's metadata says
``codekiln.masked``, the metrics count it, and its reward (which ends its episode) is the mean of what the
unmasked answers to the same task in the same call score, those that go on to a feedback turn included. NeMo
RL sends a prompt's whole group in one call, so the masked answer gets a zero advantage under GRPO's group
baseline (near zero at a turn before the last) and adds nothing to the policy gradient. NeMo RL has no
per-sample mask an environment could set instead: ``loss_multiplier`` comes from the data processor, and
main's ``mask_sample`` only from NeMo Gym results. With no unmasked answer to the task in the call (a group
masked whole: all equal, so again no advantage; or an async rollout's one-sample call) the reward is 0.0.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from ..config import config_from_dict
from ..errors import CodekilnError, ConfigError, DataError, RegistryError
from ..feedback import render_feedback
from ..scoring import Problems, Scored, Scorer, reward_verdicts
from ..verdict import Verdict, VerdictStatus
from ..verifier import Sample

if TYPE_CHECKING:
    from ..plugins import Plugins, PluginsSpec
    from ..problem import Problem

__all__ = ["ACTOR_CLASS_FQN", "ENV_NAME", "FEEDBACK", "PROCESSOR_NAME", "CodekilnEnvironment", "EnvironmentReturn",
           "codekiln_data_processor", "dataset_rows", "register", "setup_data"]

ENV_NAME = "codekiln"
PROCESSOR_NAME = "codekiln_data_processor"
ACTOR_CLASS_FQN = f"{__name__}.CodekilnEnvironmentActor"
#: Where a feedback turn's template (``feedback_template`` in the metadata) puts the feedback.
FEEDBACK = "{feedback}"

_CONFIG_KEYS = ("rewards", "reward_params", "sandbox", "verifier", "plugins")
_METADATA_KEYS = ("dataset", "task_id", "problem", "language", "stop_strings", "feedback_template", "codekiln")
_log = logging.getLogger(__name__)


class EnvironmentReturn(NamedTuple):
    """NeMo RL's ``EnvironmentReturn``: the same six fields in the same order (NeMo RL unpacks it by position
    and reads it by name, and never checks its class), so the environment runs without NeMo RL installed."""

    observations: list[dict[str, str]]
    metadata: list[dict[str, Any]]
    next_stop_strings: list[list[str] | None]
    rewards: Any  # torch.Tensor [B] float32, or {"reward/<name>": Tensor [B]} (NeMo RL main)
    terminateds: Any  # torch.Tensor [B] bool
    answers: list[str | None] | None


class _Turn(NamedTuple):
    sample: Sample
    metadata: dict[str, Any]
    number: int  # the answer's turn: 1 for the first
    public: int  # how many of the problem's first tests the feedback shows in full, and the reward leaves out


class CodekilnEnvironment:
    """NeMo RL's ``EnvironmentInterface`` (``step``, ``global_post_process_and_metrics``, ``shutdown``).

    ``cfg`` holds codekiln config sections (``rewards``, ``reward_params``, ``sandbox``, ``verifier``,
    ``plugins``, as in a codekiln config file) and the environment's own keys: ``languages`` (those it
    serves, checked installed now; the default for metadata without one when there is one), ``max_turns``
    (answers per episode, default 1; more turn a failure into a feedback turn), ``reward_components``,
    ``show_expected`` (default false: feedback never tells what the tests expect, see :mod:`codekiln.feedback`)
    and ``public_tests`` (default 0: the first N tests of a signature problem shown in full, and left out of
    the reward).
    ``plugins`` is the plugin session (built from ``cfg``'s ``plugins.block`` when not given), or its
    picklable :class:`~codekiln.plugins.PluginsSpec` for an actor to rebuild (``session.spec()``).
    """

    #: What the errors call it, and its own keys beside :data:`_CONFIG_KEYS` (verl's interaction shares the rest).
    what = "codekiln NeMo RL env"
    own_keys: tuple[str, ...] = ("languages", "max_turns", "reward_components", "show_expected", "public_tests")

    def __init__(self, cfg: Mapping[str, Any] | None = None, *, plugins: Plugins | PluginsSpec | None = None) -> None:
        from ..plugins import PluginsSpec, make_plugins

        cfg = dict(cfg or {})
        known = (*_CONFIG_KEYS, *self.own_keys)
        for key in cfg:
            if key not in known:
                raise ConfigError(f"{self.what}: unknown key '{key}'; known: {', '.join(known)}")
        self.max_turns = self._whole(cfg, "max_turns", default=1, least=1)
        self.public_tests = self._whole(cfg, "public_tests", default=0, least=0)
        self.reward_components = self._flag(cfg, "reward_components")
        self.show_expected = self._flag(cfg, "show_expected")
        config = config_from_dict({key: cfg[key] for key in _CONFIG_KEYS if key in cfg})
        if isinstance(plugins, PluginsSpec):  # a session described, to rebuild in a Ray actor
            plugins = plugins.build()
        self.plugins = plugins or make_plugins(block=config.plugins.block)
        self.languages = tuple(map(self.plugins.languages().installed, cfg.get("languages") or ()))  # before workers
        self.scorer = Scorer(config, self.plugins)
        self._tally: Counter[str] = Counter()

    # -- NeMo RL's interface -------------------------------------------------------------------------------------

    def step(self, message_log_batch: Sequence[Sequence[Mapping[str, Any]]], metadata: Sequence[Any],
             return_extracted_answer: bool = False) -> EnvironmentReturn:
        """Verify and reward each log's last answer; ``return_extracted_answer`` puts the code that was
        verified in ``answers``."""
        turns = self._turns(message_log_batch, metadata)
        verdicts = self.scorer.verifier.verify_batch([t.sample for t in turns])
        return self._respond(turns, verdicts, return_extracted_answer)

    def global_post_process_and_metrics(self, batch: Any) -> tuple[Any, dict[str, float]]:
        """The batch unchanged, and the verdicts since the last call: ``codekiln/pass_rate``,
        ``codekiln/masked_fraction``, ``codekiln/status/<status>`` (fractions of the answers verified)."""
        tally, self._tally = self._tally, Counter()
        answers = tally.pop("answers", 0)
        if not answers:
            return batch, {}
        return batch, {f"codekiln/{name}": count / answers for name, count in sorted(tally.items())}

    def shutdown(self) -> None:
        """Stop the verifier's workers (NeMo RL calls this when training ends)."""
        self.scorer.close()

    # -- a step's parts ------------------------------------------------------------------------------------------

    def _whole(self, cfg: Mapping[str, Any], key: str, *, default: int, least: int) -> int:
        value = cfg.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ConfigError(f"{self.what}: {key} must be a whole number ≥ {least}, got {value!r}")
        return value

    def _flag(self, cfg: Mapping[str, Any], key: str) -> bool:
        value = cfg.get(key, False)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.what}: {key} must be true or false, got {value!r}")
        return value

    def _turns(self, message_log_batch: Sequence[Sequence[Mapping[str, Any]]], metadata: Sequence[Any]) -> list[_Turn]:
        if len(message_log_batch) != len(metadata):
            raise DataError(f"{self.what}: {len(message_log_batch)} message logs but {len(metadata)} "
                            "metadata entries; give one of each per sample")
        return [self._turn(f"sample {index}", log, meta)
                for index, (log, meta) in enumerate(zip(message_log_batch, metadata))]

    def _turn(self, where: str, log: Sequence[Mapping[str, Any]], meta: Any) -> _Turn:
        problem, language = self.task(where, meta)
        answers = [message for message in log if message.get("role") == "assistant"]
        if not answers:
            raise DataError(f"{where}: the message log holds no assistant message to verify")
        answer = _before_stop(str(answers[-1].get("content", "")), meta.get("stop_strings") or ())
        # A native benchmark's tests are one program whose verdict cannot be split: nothing public there.
        public = 0 if language in problem.native or not problem.tests else self.public_tests
        return _Turn(Sample(problem, answer, language), dict(meta), len(answers), public)

    def task(self, where: str, meta: Any) -> tuple[Problem, str]:
        """The problem and language ``meta`` names, checked: a bad row fails here in one line."""
        if not isinstance(meta, Mapping):
            raise DataError(f"{where}: metadata must be a mapping such as {{'dataset': ..., 'task_id': ..., "
                            f"'language': ...}} or {{'problem': ..., 'language': ...}}, got {type(meta).__name__}")
        unknown = [key for key in meta if key not in _METADATA_KEYS]
        if unknown:
            raise DataError(f"{where}: unknown metadata key '{unknown[0]}'; known: {', '.join(_METADATA_KEYS)}")
        problem = self.scorer.problem(where=where, dataset=meta.get("dataset"), task_id=meta.get("task_id"),
                                      problem=meta.get("problem"))
        language = self._language(where, meta)
        if self.public_tests and language not in problem.native and 0 < len(problem.tests) <= self.public_tests:
            raise DataError(f"{where}: problem '{problem.id}' has {len(problem.tests)} tests, and public_tests "
                            f"{self.public_tests} would leave none hidden for the reward")
        return problem, language

    def _language(self, where: str, meta: Mapping[str, Any]) -> str:
        name = meta.get("language") or (self.languages[0] if len(self.languages) == 1 else None)
        if name is None:
            raise DataError(f"{where}: metadata has no 'language', and the env serves more than one language "
                            "(its 'languages' setting)")
        try:
            language = self.scorer.language(name)
        except RegistryError as exc:
            raise DataError(f"{where}: {exc}") from None
        if self.languages and language not in self.languages:
            raise DataError(f"{where}: language '{language}' is not one this env serves "
                            f"({', '.join(self.languages)}); add it to the env's 'languages'")
        return language

    def _respond(self, turns: list[_Turn], verdicts: list[Verdict], return_extracted_answer: bool) -> EnvironmentReturn:
        import torch

        # The reward counts the hidden tests alone: a second answer could special-case what the feedback showed
        # of the public ones. Everything else reads the whole verdict.
        judged = reward_verdicts(self.scorer.rewards, self.scorer.languages, [t.sample for t in turns],
                                 [_on_hidden_tests(v, t.public) for t, v in zip(turns, verdicts)])
        scored = [attrs.evolve(s, verdict=v) for s, v in zip(judged, verdicts)]
        feedback = [render_feedback(s.verdict, show_expected=self.show_expected, public_tests=t.public)
                    for t, s in zip(turns, scored)]
        ends = [s.verdict.passed or s.masked or not text or t.number >= self.max_turns
                for t, s, text in zip(turns, scored, feedback)]
        shares = self._shares(turns, scored, ends)
        self._count(scored)
        metadata = [{**t.metadata, "codekiln": _summary(t, s)} for t, s in zip(turns, scored)]
        observations = [{"role": "user", "content": _closing(s) if end else
                         (t.metadata.get("feedback_template") or FEEDBACK).replace(FEEDBACK, text)}
                        for t, s, text, end in zip(turns, scored, feedback, ends)]
        if self.reward_components:
            rewards: Any = {f"reward/{name}": torch.tensor([share[name] for share in shares], dtype=torch.float32)
                            for name in self.scorer.rewards.names}
        else:
            rewards = torch.tensor([sum(share.values()) for share in shares], dtype=torch.float32)
        return EnvironmentReturn(
            observations=observations,
            metadata=metadata,
            next_stop_strings=[None if end else t.metadata.get("stop_strings") for t, end in zip(turns, ends)],
            rewards=rewards,
            terminateds=torch.tensor(ends, dtype=torch.bool),
            answers=[s.code for s in scored] if return_extracted_answer else None,
        )

    def _shares(self, turns: list[_Turn], scored: list[Scored], ends: list[bool]) -> list[dict[str, float]]:
        """Each answer's reward as each component's share of the total: 0 for a turn that goes on, and for a
        masked answer the mean of what the unmasked answers to the same task in this call score. Those that go on
        count with their answer's own score, not the 0 of their turn: averaged over the answers that end alone,
        at a first turn of several (where only passes end) a masked answer would be paid as a pass."""
        names = self.scorer.rewards.names
        own = [_components_share(s, names) if not s.masked else dict.fromkeys(names, 0.0) for s in scored]
        shares = [own[i] if end else dict.fromkeys(names, 0.0) for i, end in enumerate(ends)]
        for index, (turn, answer) in enumerate(zip(turns, scored)):
            if not answer.masked:
                continue
            task = _task_key(turn.sample)
            peers = [own[i] for i, (t, s) in enumerate(zip(turns, scored))
                     if not s.masked and _task_key(t.sample) == task]
            if peers:
                shares[index] = {name: sum(p[name] for p in peers) / len(peers) for name in names}
        return shares

    def _count(self, scored: list[Scored]) -> None:
        masked = [s for s in scored if s.masked]
        if masked:
            _log.warning("codekiln: %d of %d answers masked (the verifier's failure, not the model's): %s",
                         len(masked), len(scored), ", ".join(sorted({s.verdict.status.value for s in masked})))
        self._tally["answers"] += len(scored)
        for answer in scored:
            self._tally[f"status/{answer.verdict.status.value}"] += 1
            self._tally["pass_rate"] += answer.verdict.passed and not answer.masked
            self._tally["masked_fraction"] += answer.masked


class _ActorEnvironment(CodekilnEnvironment):
    """The Ray actor's class: ``step`` awaits the verifier, so Ray runs concurrent calls side by side."""

    async def step(self, message_log_batch: Sequence[Sequence[Mapping[str, Any]]],  # type: ignore[override]
                   metadata: Sequence[Any], return_extracted_answer: bool = False) -> EnvironmentReturn:
        turns = self._turns(message_log_batch, metadata)
        verdicts = await self.scorer.verifier.averify_batch([t.sample for t in turns])
        return self._respond(turns, verdicts, return_extracted_answer)


def __getattr__(name: str) -> Any:
    # CodekilnEnvironmentActor, the Ray actor class that NeMo RL's create_env finds by name, is made on first
    # use so that importing this module needs no Ray.
    if name == "CodekilnEnvironmentActor":
        import ray

        actor = globals()[name] = ray.remote(_ActorEnvironment)
        return actor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _components_share(scored: Scored, names: Sequence[str]) -> dict[str, float]:
    """Each component's share of the weighted total (the total is the weighted mean of the components that
    did not abstain, so the shares of those add up to it; the rest share nothing)."""
    breakdown = scored.breakdown
    counted = {name: breakdown.weights[name] for name in names
               if breakdown.components.get(name) is not None and breakdown.weights[name] > 0}
    total_weight = sum(counted.values())
    return {name: counted[name] * breakdown.components[name] / total_weight if name in counted else 0.0
            for name in names}


def _before_stop(text: str, stop_strings: Sequence[str]) -> str:
    """The answer without the stop string that ended it (NeMo RL's generation keeps it in the text; codekiln's
    own generation cuts there too, so the verifier sees the same code)."""
    ends = [at for stop in stop_strings if stop and (at := text.find(stop)) >= 0]
    return text[:min(ends)] if ends else text


def _on_hidden_tests(verdict: Verdict, public: int) -> Verdict:
    """``verdict`` on the tests after the first ``public`` alone (a signature problem's verdict, whose outcomes
    are indexed by test): passed when every one of those ran and passed, else the whole verdict's failure."""
    if not public or not verdict.tests_total:  # nothing public, or no test ran (syntax, compile, masked)
        return verdict
    hidden = tuple(t for t in verdict.tests if t.index >= public)
    total = verdict.tests_total - public
    passed = sum(t.passed for t in hidden)
    status = VerdictStatus.PASSED if passed == total else verdict.status
    return attrs.evolve(verdict, tests=hidden, tests_passed=passed, tests_total=total, status=status)


def _task_key(sample: Sample) -> tuple[str, str]:
    return sample.problem.id, sample.language


def _summary(turn: _Turn, scored: Scored) -> dict[str, Any]:
    return {"turn": turn.number, "status": scored.verdict.status.value, "passed": scored.verdict.passed,
            "masked": scored.masked, "reward": scored.reward,
            "components": dict(scored.breakdown.components)}


def _closing(scored: Scored) -> str:
    """The observation that ends an episode: one line (NeMo RL appends it to the log, outside the loss)."""
    if scored.masked:
        return "Not judged: the verifier failed, not your code."
    return "All tests pass." if scored.verdict.passed else f"Verdict: {scored.verdict.status.value}."


# -- data ----------------------------------------------------------------------------------------------------------


class _Session:
    """This process's plugin session and problem lookup, for the data processor (built on first use)."""

    current: _Session | None = None

    def __init__(self) -> None:
        from ..plugins import make_plugins

        self.plugins = make_plugins()
        self.problems = Problems(self.plugins)

    @classmethod
    def get(cls) -> _Session:
        if cls.current is None:
            cls.current = cls()
        return cls.current


def codekiln_data_processor(datum_dict: Mapping[str, Any], task_data_spec: Any, tokenizer: Any,
                            max_seq_length: int | None, idx: int) -> dict[str, Any]:
    """NeMo RL's processor signature: a row naming a codekiln problem to a ``DatumSpec``.

    The row holds ``dataset`` and ``task_id``, or ``problem`` (its JSON), and ``language``; optionally
    ``task_name`` (default ``"codekiln"``, the env's name) and ``prompt_format`` (``auto``, ``chat`` or
    ``completion``, as codekiln's ``generation.prompt_format``). The prompt is codekiln's own
    (:mod:`codekiln.train.prompts`); ``task_data_spec``'s prompt files are not used. A prompt longer than
    ``max_seq_length`` is cut and its ``loss_multiplier`` set to 0, as NeMo RL's processors do.
    """
    import torch

    from ..train.prompts import default_stop, problem_prompt, render_prompt, resolve_prompt_format

    session = _Session.get()
    where = f"row {idx}"
    problem = session.problems.get(where=where, dataset=datum_dict.get("dataset"),
                                   task_id=datum_dict.get("task_id"), problem=datum_dict.get("problem"))
    if not datum_dict.get("language"):
        raise DataError(f"{where}: no 'language'")
    backend = session.plugins.languages().get(datum_dict["language"])
    language, native = backend.name, backend.name in problem.native
    fmt = resolve_prompt_format(tokenizer, datum_dict.get("prompt_format") or "auto")
    text = render_prompt(tokenizer, problem_prompt(problem, language, backend), language=language, fmt=fmt,
                         native=native)
    token_ids = torch.as_tensor(tokenizer(text, add_special_tokens=False)["input_ids"], dtype=torch.long)
    loss_multiplier = 1.0
    if max_seq_length is not None and len(token_ids) >= max_seq_length:
        token_ids, loss_multiplier = token_ids[:max_seq_length], 0.0
    stop = default_stop(fmt, native) or None
    names = {key: datum_dict[key] for key in ("dataset", "task_id", "problem") if datum_dict.get(key) is not None}
    return {
        "message_log": [{"role": "user", "content": text, "token_ids": token_ids}],
        "length": len(token_ids),
        "extra_env_info": {**names, "language": language, "stop_strings": stop,
                           "feedback_template": _feedback_template(tokenizer, fmt, problem, language, native)},
        "loss_multiplier": loss_multiplier,
        "idx": idx,
        "task_name": datum_dict.get("task_name") or ENV_NAME,
        "stop_strings": stop,
    }


def _feedback_template(tokenizer: Any, fmt: str, problem: Problem, language: str, native: bool) -> str:
    """The text of a feedback turn, with :data:`FEEDBACK` where the feedback goes: the feedback and then
    what the first answer continued (a benchmark's own prompt, or an opened code fence), or, in chat, a user
    turn in the tokenizer's chat template followed by the assistant's cue (NeMo RL appends an observation
    as it is, untemplated)."""
    if native:
        return f"\n{FEEDBACK}\n\n{problem.native[language].prompt}"
    if fmt == "chat":
        conversation = [{"role": "user", "content": "?"}, {"role": "assistant", "content": "!"}]
        before = tokenizer.apply_chat_template(conversation, tokenize=False)
        after = tokenizer.apply_chat_template([*conversation, {"role": "user", "content": FEEDBACK}],
                                              tokenize=False, add_generation_prompt=True)
        if after.startswith(before):
            return after[len(before):]
        return f"\n{FEEDBACK}\n"  # a template that rewrites earlier turns: plain text is the best left
    return f"\n{FEEDBACK}\n```{language}\n"


def dataset_rows(dataset: str, languages: Sequence[str], *, split: str | None = None, max_difficulty: int = 5,
                 task_name: str = ENV_NAME, plugins: Plugins | None = None) -> list[dict[str, Any]]:
    """The rows of a NeMo RL dataset for :func:`codekiln_data_processor`: each problem of ``dataset`` (any
    registered dataset, ``families`` included) in each of ``languages`` it can be asked in, up to
    ``max_difficulty``; ``split`` keeps only the problems of that declared split (``families``: ``rl``,
    ``sft``, ``heldout``, ``heldout_families``)."""
    from ..datasets import load_dataset

    plugins = plugins or _Session.get().plugins
    names = [plugins.languages().get(name).name for name in languages]
    problems = load_dataset(dataset, plugins.datasets())
    rows = [{"dataset": dataset, "task_id": p.id, "language": language, "task_name": task_name}
            for p in problems if (split is None or p.split == split)
            and (p.difficulty is None or p.difficulty <= max_difficulty)
            for language in names if p.signature is not None or language in p.native]
    if not rows:
        raise DataError(f"dataset '{dataset}': no problem in {', '.join(names)}"
                        + (f" in split '{split}'" if split else "") + f" with difficulty ≤ {max_difficulty}")
    return rows


def setup_data(tokenizer: Any, data_config: Mapping[str, Any], env_configs: Mapping[str, Any]) -> tuple[
        Any, Any, dict[str, Any], dict[str, Any]]:
    """What NeMo RL's ``setup_response_data`` returns, for codekiln: the training and validation datasets
    (NeMo RL's ``AllTaskProcessedDataset`` over :func:`dataset_rows`, processed by
    :func:`codekiln_data_processor`) and the task-to-environment maps, one codekiln env actor (made by
    ``create_env`` from ``env_configs["codekiln"]``) shared by both. ``data_config["codekiln"]`` holds
    ``dataset``, ``languages``, ``train_split``, ``validation_split`` (None: no validation set),
    ``max_difficulty`` and ``prompt_format``; ``data_config["max_input_seq_length"]`` bounds the prompts.
    Call :func:`register` first."""
    from nemo_rl.data.datasets import AllTaskProcessedDataset
    from nemo_rl.data.interfaces import TaskDataSpec
    from nemo_rl.environments.utils import create_env

    settings = data_config["codekiln"]
    task_spec = TaskDataSpec(task_name=ENV_NAME)
    processors = {ENV_NAME: (task_spec, codekiln_data_processor)}

    def processed(split: str | None) -> Any:
        rows = dataset_rows(settings["dataset"], settings["languages"], split=split,
                            max_difficulty=settings.get("max_difficulty", 5))
        for row in rows:
            row["prompt_format"] = settings.get("prompt_format", "auto")
        return AllTaskProcessedDataset(rows, tokenizer, task_spec, processors,
                                       max_seq_length=data_config["max_input_seq_length"])

    train = processed(settings.get("train_split"))
    validation = processed(settings["validation_split"]) if settings.get("validation_split") else None
    env = create_env(ENV_NAME, dict(env_configs[ENV_NAME]))
    return train, validation, {ENV_NAME: env}, {ENV_NAME: env}


# -- registration --------------------------------------------------------------------------------------------------


def register(env_name: str = ENV_NAME, processor_name: str = PROCESSOR_NAME) -> None:
    """Make NeMo RL know codekiln: ``env_name`` in its environment registry (``register_env``), the actor's
    Python in its actor-environment registry (this interpreter, as for NeMo RL's own CPU environments), and
    the data processor in its processor registry. Safe to call twice."""
    try:
        from nemo_rl.data.processors import PROCESSOR_REGISTRY, register_processor
        from nemo_rl.distributed.ray_actor_environment_registry import ACTOR_ENVIRONMENT_REGISTRY
        from nemo_rl.distributed.virtual_cluster import PY_EXECUTABLES
        from nemo_rl.environments.interfaces import EnvironmentInterface
        from nemo_rl.environments.utils import ENV_REGISTRY, register_env
    except ImportError as exc:
        raise CodekilnError(f"NeMo RL is not importable ({exc}): clone github.com/NVIDIA-NeMo/RL and put it on "
                            "PYTHONPATH (PyPI's nemo-rl is an empty placeholder)") from None
    EnvironmentInterface.register(CodekilnEnvironment)  # an ABC's virtual subclass: isinstance holds
    if ENV_REGISTRY.get(env_name, {}).get("actor_class_fqn") != ACTOR_CLASS_FQN:
        if env_name in ENV_REGISTRY:
            raise ConfigError(f"NeMo RL env name '{env_name}' is taken by {ENV_REGISTRY[env_name]}; "
                              "pass register(env_name=...) another name")
        register_env(env_name, ACTOR_CLASS_FQN)
    ACTOR_ENVIRONMENT_REGISTRY.setdefault(ACTOR_CLASS_FQN, PY_EXECUTABLES.SYSTEM)
    if PROCESSOR_REGISTRY.get(processor_name) is not codekiln_data_processor:
        if processor_name in PROCESSOR_REGISTRY:
            raise ConfigError(f"NeMo RL processor name '{processor_name}' is taken; pass register(processor_name=...) "
                              "another name")
        register_processor(processor_name, codekiln_data_processor)

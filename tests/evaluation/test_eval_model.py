"""``codekiln eval --model`` and ``codekiln ab --a --b`` generating with the tiny embedded default model."""

from __future__ import annotations

import json

import pytest

from codekiln.config import ModelConfig, config_to_yaml, load_config
from codekiln.evaluation.commands import Source, ab_command, eval_command

from ..test_cli import codekiln
from .test_eval_cli import CONFIG, DOUBLE, NEG, write_jsonl


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, plugins, model_cache):
    """A run directory as `codekiln train` leaves it: final/ (the untrained default, saved in the completion
    format) and config.yaml (short answers)."""
    import torch

    from codekiln.train.policy import default_model_dir, load_policy, save_policy

    default = default_model_dir(model_cache, plugins)
    run = tmp_path_factory.mktemp("run")
    save_policy(load_policy(ModelConfig(path=str(default)), device=torch.device("cpu")), run / "final",
                prompt_format="completion")
    config = load_config(CONFIG, ["generation.max_new_tokens=8", "generation.backend=hf", "device=cpu"])
    (run / "config.yaml").write_text(config_to_yaml(config))
    return run


@pytest.fixture
def dataset(tmp_path) -> str:
    return f"jsonl:{write_jsonl(tmp_path / 'problems.jsonl', [NEG, DOUBLE])}"


@pytest.mark.slow  # loads torch and the model in a subprocess (about 15 s)
def test_eval_model_from_a_run_directory(run_dir, dataset, tmp_path):
    out = tmp_path / "out"
    result = codekiln("eval", "--model", str(run_dir), "--dataset", dataset, "--n", "2", "--temperature", "1.0",
                      "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["facts"] | {"source": None} == {"source": None, "dataset": dataset, "samples per task": 2,
                                                  "k": [1], "seed": 0, "temperature": 1.0}
    overall = summary["overall"]
    assert (overall["problems"], overall["samples"]) == (2, 4)
    assert 0 <= overall["pass@1"] <= 1 and overall["masked_fraction"] == 0.0
    # The run's config.yaml holds the budget: at most 8 tokens per sample; each task has its batch's share of time.
    assert 0 < overall["mean_tokens"] <= 8 and overall["mean_latency_s"] > 0
    assert set(summary["difficulties"]) == {"1", "3"}
    rows = [json.loads(line) for line in (out / "outcomes.jsonl").read_text().splitlines()]
    assert [(r["task"], r["sample"]) for r in rows] == [("neg", 0), ("neg", 1), ("double", 0), ("double", 1)]
    assert (out / "report.md").is_file() and (out / "pass_at_k.png").read_bytes().startswith(b"\x89PNG")


def test_eval_model_refuses_k_above_n_before_loading_it(run_dir, dataset):
    result = codekiln("eval", "--model", str(run_dir), "--dataset", dataset, "--n", "2", "--k", "1,5")
    assert result.returncode == 2
    assert result.stderr.startswith("codekiln: error: --k 5 is more than the 2 sample(s) per task")


@pytest.mark.slow  # generates 8 samples with two copies of the model (about 10 s)
def test_ab_of_one_model_with_itself_is_paired_and_even(plugins, run_dir, dataset):
    # The run directory and its final/ model are the same weights: with the same seeds every pair of samples is
    # the same, so nothing is discordant and the tokens match.
    comparison = ab_command(plugins, Source(model=str(run_dir)), Source(model=str(run_dir / "final")),
                            dataset=dataset, languages=["python"], samples=2, temperature=1.0, seed=7, alpha=0.05,
                            config_path=str(run_dir / "config.yaml"), overrides=[], out=None)
    assert comparison.method == "paired" and comparison.difference == 0.0
    assert comparison.counts["a_only"] == comparison.counts["b_only"] == 0 and comparison.p_value == 1.0
    assert [(r["task"], r["samples_a"], r["samples_b"]) for r in comparison.problems] == [
        ("double", 2, 2), ("neg", 2, 2)]
    tokens_a, tokens_b = comparison.side_by_side["mean_tokens"]
    assert tokens_a == tokens_b and 0 < tokens_a <= 8
    assert comparison.sentence.startswith("No significant difference between ")


def test_eval_decodes_in_the_batches_of_a_runs_evaluation(plugins, run_dir, tmp_path, monkeypatch):
    # Greedy decoding is not bit-exact across batch shapes (the default run's final/ counted 2 of 83 held-out
    # tasks differently one prompt at a time), so eval decodes the batches the run's evaluation does: the
    # tasks in two halves (codekiln.train.evaluate's default), not one call per task.
    import codekiln.train.generation as generation

    batches: list[int] = []
    real = generation.make_generator

    def counting(*args, **kwargs):
        generator = real(*args, **kwargs)
        decode = generator.generate
        generator.generate = lambda prompts, **settings: batches.append(len(prompts)) or decode(prompts, **settings)
        return generator

    monkeypatch.setattr(generation, "make_generator", counting)
    rows = [dict(row, id=f"{row['id']}{i}") for i in range(3) for row in (NEG, DOUBLE)]
    problems = write_jsonl(tmp_path / "p.jsonl", rows)
    summary = eval_command(plugins, Source(model=str(run_dir)), dataset=f"jsonl:{problems}", languages=["python"],
                           samples=1, ks=None, temperature=None, seed=0, config_path=str(run_dir / "config.yaml"),
                           overrides=[], out=None)
    assert summary["overall"]["problems"] == 6
    assert batches == [3, 3]
    assert summary["overall"]["mean_latency_s"] > 0


def test_a_run_directorys_own_config_gives_generation_settings_never_how_code_runs(tmp_path):
    """A run directory may come from someone else with its model: its config must not switch the sandbox off,
    send the completions to another verifier, or run `efficiency` unsandboxed; its generation settings count."""
    from codekiln.evaluation.run import evaluation_config

    shared = tmp_path / "config.yaml"
    shared.write_text("sandbox: {isolation: none, wall_time_s: 999}\n"
                      "verifier: {backend: http, http: {url: 'http://198.51.100.7:8000'}}\n"
                      "reward_params: {efficiency: {isolation: none}}\n"
                      "generation: {max_new_tokens: 77, prompt_format: completion}\n")
    taken = evaluation_config(shared, ["seed=3", "sandbox.wall_time_s=5"], run_config=True)
    defaults = load_config(None)
    assert taken.sandbox.isolation == defaults.sandbox.isolation == "namespaces"
    assert taken.sandbox.wall_time_s == 5.0  # the user's own override still applies
    assert taken.verifier == defaults.verifier
    assert taken.reward_params["efficiency"]["isolation"] == "namespaces"
    assert (taken.generation.max_new_tokens, taken.generation.prompt_format, taken.seed) == (77, "completion", 3)
    # A config the user names with -c is theirs: taken whole.
    assert evaluation_config(shared).sandbox.isolation == "none"

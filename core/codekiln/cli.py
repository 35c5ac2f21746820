"""The ``codekiln`` command line.

Commands import what they need when they run, so ``codekiln --help`` and ``codekiln plugins`` stay fast and
never import torch. A :class:`~codekiln.errors.CodekilnError` is printed as one line and exits with 2.

SIGINT and SIGTERM stop every command the same way: the first one raises :class:`Stopped` in the main
thread, so every ``with`` and ``finally`` on the way out runs (the verifier ends its workers, sandboxes kill
their process trees and remove their work dirs, the trainer stops vLLM; checkpoints are renamed into place
only once whole), and the command exits with 128 + the signal's number. Further signals are ignored until
then, so that the clean-up itself is not cut short.
"""

from __future__ import annotations

import json
import re
import signal
import sys
from typing import Any

import click

from . import __version__
from .errors import CodekilnError


class _UserError(click.ClickException):
    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"codekiln: error: {self.message}", err=True)


class _Group(click.Group):
    """Turns user-facing errors from any command into one line on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CodekilnError as exc:
            raise _UserError(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="codekiln")
@click.option("--block", "block", multiple=True, metavar="NAME",
              help="Do not load this plugin (plugin or distribution name); repeatable.")
@click.option("--no-autoload", is_flag=True, help="Load only the built-in plugins, no entry points.")
@click.pass_context
def cli(ctx: click.Context, block: tuple[str, ...], no_autoload: bool) -> None:
    """Train code-generation models with rewards from really running the code."""
    ctx.obj = {"block": block, "autoload": False if no_autoload else None}


def plugins_from(ctx: click.Context, extra_block: tuple[str, ...] = ()) -> Any:
    """The plugin session of this command, built once, honouring --block and --no-autoload; everything the
    command runs (the verifier and its workers, the trainer) receives it."""
    from .plugins import make_plugins

    obj = ctx.find_root().obj
    if "plugins" not in obj:
        obj["plugins"] = make_plugins(autoload=obj["autoload"], block=(*obj["block"], *extra_block))
    return obj["plugins"]


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def plugins_command(ctx: click.Context, as_json: bool) -> None:
    """List each plugin, its distribution and version, and what it registered."""
    rows = plugins_from(ctx).describe()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    name_width = max(len(row["name"]) for row in rows)
    where_width = max(len(f"{row['distribution']} {row['version']}") for row in rows)
    for row in rows:
        where = f"{row['distribution']} {row['version']}"
        provided = [f"{kind}: {', '.join(names)}" for kind, names in row["registered"].items()]
        if row["hooks"]:
            provided.append(f"hooks: {', '.join(h.removeprefix('codekiln_') for h in row['hooks'])}")
        if row["status"] == "failed":
            provided.append(f"FAILED: {row['error']}")
        click.echo(f"{row['name']:<{name_width}}  {where:<{where_width}}  {'; '.join(provided) or '-'}")


@cli.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def doctor_command(ctx: click.Context, as_json: bool) -> None:
    """Check toolchains, grammars, sandbox isolation and ML libraries, each with a fix hint."""
    from .doctor import diagnose, format_report

    report = diagnose(plugins_from(ctx))
    click.echo(json.dumps(report, indent=2) if as_json else format_report(report))


@cli.group("config")
def config_group() -> None:
    """Inspect configuration."""


@config_group.command("show")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False), help="A YAML config file.")
@click.argument("overrides", nargs=-1)
def config_show(config_path: str | None, overrides: tuple[str, ...]) -> None:
    """Print the effective config: the defaults, the file, then KEY=VALUE overrides (grpo.group_size=8)."""
    from .config import config_to_yaml, load_config

    click.echo(config_to_yaml(load_config(config_path, overrides)), nl=False)


_isolation_option = click.option(
    "--isolation", type=click.Choice(["none", "process", "namespaces"]), default="namespaces", show_default=True,
    help="Sandbox isolation; 'none' only for trusted code.",
)


_strict_option = click.option("--strict", is_flag=True,
                              help="Fail at the first malformed dataset row instead of skipping it.")


@cli.group("datasets", invoke_without_command=True)
@click.pass_context
def datasets_group(ctx: click.Context) -> None:
    """List the registered datasets: name, how to name it, plugin, description."""
    if ctx.invoked_subcommand is not None:
        return
    registry = plugins_from(ctx).datasets()
    rows = []
    for name in registry.names():
        loader = registry.get(name)
        usage = f"{name}:PATH" if loader.needs_path else name
        first_sentence = re.split(r"(?<=\.)\s", " ".join((loader.__doc__ or "-").split()), maxsplit=1)[0]
        rows.append((name, usage, registry.owner(name), first_sentence.replace("``", "")))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + f"  {row[3]}")


@datasets_group.command("show")
@click.argument("spec", metavar="NAME")
@_strict_option
@click.pass_context
def datasets_show(ctx: click.Context, spec: str, strict: bool) -> None:
    """Count the problems of dataset NAME (or FORMAT:PATH) per language and per difficulty."""
    from .datasets import format_counts, read_dataset

    click.echo(format_counts(read_dataset(spec, plugins_from(ctx).datasets(), strict=strict)))


@cli.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--lang", "language", required=True, help="Language of the code (python, cpp, ...).")
@click.option("--problem", "problem_ref", help="A problem file (.json/.yaml/.jsonl) or a built-in problem id.")
@click.option("--json", "as_json", is_flag=True, help="Print the Verdict as JSON.")
@_isolation_option
@click.pass_context
def check_command(ctx: click.Context, file: str, language: str, problem_ref: str | None, as_json: bool,
                  isolation: str) -> None:
    """Check one file: syntax, compile and, with --problem, its tests. Exit 0 only when it passes."""
    from pathlib import Path

    from .jsonio import to_json
    from .reporting import format_verdict, resolve_problem
    from .verifier import Verifier

    plugins = plugins_from(ctx)
    problem = resolve_problem(problem_ref, plugins)
    code = Path(file).read_text(encoding="utf-8", errors="replace")
    with Verifier(plugins, isolation=isolation, workers=1, cache=False) as verifier:
        verdict = verifier.verify(problem, code, language)
    click.echo(json.dumps(to_json(verdict), indent=2) if as_json else format_verdict(verdict, problem))
    ctx.exit(0 if verdict.passed else 1)


@cli.command("verify")
@click.argument("samples_path", metavar="SAMPLES.jsonl", type=click.Path(exists=True, dir_okay=False))
@click.option("--dataset", required=True, help="NAME, FORMAT:PATH or a problem file: builtin, humaneval, ...")
@_strict_option
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Write one result row per sample here.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--workers", type=int, default=0, show_default=True, help="Worker processes; 0 = one per core.")
@_isolation_option
@click.pass_context
def verify_command(ctx: click.Context, samples_path: str, dataset: str, strict: bool, out_path: str | None,
                   as_json: bool, workers: int, isolation: str) -> None:
    """Verify a file of samples (task_id, completion, optional language); print pass counts per language."""
    from pathlib import Path

    from tqdm import tqdm

    from .datasets import load_dataset
    from .reporting import format_summary
    from .samples import read_samples, summarize, write_results
    from .verifier import Verifier

    plugins = plugins_from(ctx)
    problems = load_dataset(dataset, plugins.datasets(), strict=strict)
    samples = read_samples(Path(samples_path), problems)
    with Verifier(plugins, isolation=isolation, workers=workers) as verifier, \
            tqdm(total=len(samples), desc="verifying", unit="sample", file=sys.stderr, disable=None) as bar:
        verdicts = verifier.verify_batch(samples, progress=bar.update)
    if out_path:
        write_results(Path(out_path), samples, verdicts)
    summary = summarize(samples, verdicts)
    click.echo(json.dumps(summary, indent=2) if as_json else format_summary(summary))


@cli.command("train")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False), help="A YAML config file.")
@click.option("--resume", is_flag=True, help="Continue the run in run_dir from its last checkpoint.")
@click.option("--overwrite", is_flag=True, help="Delete what run_dir holds and start afresh.")
@click.option("--no-progress", is_flag=True, help="No progress bars (logs still go to the run directory).")
@click.argument("overrides", nargs=-1)
@click.pass_context
def train_command(ctx: click.Context, config_path: str | None, resume: bool, overwrite: bool, no_progress: bool,
                  overrides: tuple[str, ...]) -> None:
    """Train: evaluate, SFT, evaluate, GRPO, evaluate. With no arguments, the embedded default model on the
    built-in problems. OVERRIDES are dotted keys: grpo.steps=10 data.languages=[python,cpp]."""
    from .config import load_config
    from .train.trainer import train

    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite contradict each other: choose one")
    config = load_config(config_path, overrides)
    plugins = plugins_from(ctx, tuple(config.plugins.block))
    result = train(config, plugins, resume=resume, overwrite=overwrite, show_progress=not no_progress)
    click.echo(f"run directory: {result.run_dir}")


@cli.command("serve-verifier")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False),
              help="A YAML config file: its rewards, reward_params, sandbox and verifier sections are used.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, help="Verifier worker processes; 0 = one per core (default: the config's).")
@click.option("--isolation", type=click.Choice(["none", "process", "namespaces"]),
              help="Sandbox isolation (default: the config's, namespaces).")
@click.option("--rewards", metavar="NAME=WEIGHT,...", help="The rewards and weights (default: the config's).")
@click.option("--api-key-file", type=click.Path(dir_okay=False), help="API keys, one a line (also CODEKILN_API_KEYS).")
@click.option("--dataset", "datasets", multiple=True, metavar="FORMAT:PATH",
              help="Also serve this file dataset under that name; repeatable.")
@click.option("--max-batch", type=int, default=64, show_default=True, help="Samples per request (more: 413).")
@click.option("--queue-size", type=int, default=256, show_default=True, help="Samples waiting at once (more: 503).")
@click.option("--per-key-concurrency", type=int, default=4, show_default=True,
              help="Requests in progress per API key (more: 429).")
@click.option("--max-body-mb", type=float, default=8.0, show_default=True, help="Request body size (more: 413).")
@click.pass_context
def serve_verifier_command(ctx: click.Context, config_path: str | None, host: str, port: int, workers: int | None,
                           isolation: str | None, rewards: str | None, api_key_file: str | None,
                           datasets: tuple[str, ...], max_batch: int, queue_size: int, per_key_concurrency: int,
                           max_body_mb: float) -> None:
    """Serve verification over HTTP: POST /v1/verify, NeMo Gym's POST /verify, /healthz, /metrics."""
    import os

    from .config import load_config
    from .errors import ConfigError
    from .rewards import RewardSet
    from .verifier import Verifier

    try:
        from .serve.http import read_api_keys
        from .serve.verification import ServiceLimits, VerificationService
        from .serve.verifier_app import run_verifier_service
    except ImportError as exc:
        raise CodekilnError(f"serve-verifier needs the serve extra ({exc.name} is not installed): "
                            "pip install 'codekiln[serve]'") from None

    overrides = [f"verifier.workers={workers}"] if workers is not None else []
    overrides += [f"sandbox.isolation={isolation}"] if isolation else []
    if rewards:
        pairs = [item.partition("=") for item in rewards.split(",")]
        if not all(name.strip() and sep and weight.strip() for name, sep, weight in pairs):
            raise ConfigError(f"--rewards {rewards!r}: expected NAME=WEIGHT,... (all_tests=1,tests=0.5)")
        overrides.append("rewards={" + ", ".join(f"{n.strip()}: {w.strip()}" for n, _, w in pairs) + "}")
    config = load_config(config_path, overrides)
    try:
        limits = ServiceLimits(max_batch, queue_size, per_key_concurrency, int(max_body_mb * 1024 * 1024),
                               max_time_s=config.sandbox.wall_time_s, max_memory_mb=config.sandbox.memory_mb)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    api_keys = read_api_keys(os.environ.get("CODEKILN_API_KEYS"), api_key_file)
    plugins = plugins_from(ctx)
    with Verifier.from_config(plugins, config) as verifier:
        service = VerificationService(plugins, verifier, RewardSet.from_config(config, plugins), datasets=datasets,
                                      limits=limits)
        run_verifier_service(service, host=host, port=port, api_keys=api_keys,
                             announce=lambda line: click.echo(f"codekiln: {line}", err=True))


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


_languages_option = click.option("--languages", metavar="L,..",
                                 help="Languages to generate in (default: the config's data.languages: python).")
_generation_options = [
    click.option("--n", "samples", type=click.IntRange(min=1), default=1, show_default=True,
                 help="Samples per task."),
    click.option("--temperature", type=click.FloatRange(min=0.0),
                 help="Sampling temperature (default: 0, greedy, for --n 1; 0.8 otherwise)."),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed of the samples and the bootstrap."),
    click.option("--max-new-tokens", type=click.IntRange(min=1), help="Tokens per sample (default: the config's)."),
    click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False),
                 help="A YAML config: its generation, sandbox, verifier and reward_params sections are used."),
    click.option("--out", type=click.Path(file_okay=False), help="Write the JSON, report.md and charts here."),
    click.option("--json", "as_json", is_flag=True, help="Print JSON instead of markdown."),
]


def _with(options: list[Any]) -> Any:
    def decorate(command: Any) -> Any:
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


@cli.command("eval")
@click.option("--model", "model_path", metavar="PATH",
              help="A Hugging Face model directory, or a `codekiln train` run directory (its final/ model).")
@click.option("--samples", "samples_path", metavar="FILE.jsonl", type=click.Path(exists=True, dir_okay=False),
              help="Score these completions instead (task_id, completion, optional language, latency_s, tokens).")
@click.option("--dataset", required=True, help="NAME, FORMAT:PATH or a problem file: builtin, humaneval, ...")
@_languages_option
@click.option("--k", "ks", metavar="1,5,10", help="pass@k for these k (default: those of 1, 5, 10 up to --n).")
@_with(_generation_options)
@click.pass_context
def eval_command(ctx: click.Context, model_path: str | None, samples_path: str | None, dataset: str,
                 languages: str | None, ks: str | None, samples: int, temperature: float | None, seed: int,
                 max_new_tokens: int | None, config_path: str | None, out: str | None, as_json: bool) -> None:
    """Evaluate a model, or score a samples file: pass@k, compile, syntax-error, timeout and masked rates, mean
    quality, efficiency and security, latency and tokens, overall, per language and per difficulty."""
    from pathlib import Path

    from .evaluation.commands import Source, eval_command
    from .evaluation.report import eval_markdown

    source = Source(model=model_path, samples=samples_path)
    summary = eval_command(plugins_from(ctx), source, dataset=dataset, languages=_split(languages), samples=samples,
                           ks=ks, temperature=temperature, seed=seed, config_path=config_path,
                           overrides=[f"generation.max_new_tokens={max_new_tokens}"] if max_new_tokens else [],
                           out=Path(out) if out else None)
    click.echo(json.dumps(summary, indent=2) if as_json else eval_markdown(summary))


@cli.command("ab")
@click.option("--a", "model_a", metavar="PATH", help="Model A: a Hugging Face model or a run directory.")
@click.option("--b", "model_b", metavar="PATH", help="Model B.")
@click.option("--samples-a", type=click.Path(exists=True, dir_okay=False), help="Model A's completions instead.")
@click.option("--samples-b", type=click.Path(exists=True, dir_okay=False), help="Model B's completions instead.")
@click.option("--from-store", "store", metavar="PATH",
              help="Analyse the online A/B outcomes (arms a and b) and ratings kept by `codekiln serve`.")
@click.option("--dataset", help="NAME, FORMAT:PATH or a problem file (not with --from-store).")
@_languages_option
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Significance level.")
@_with(_generation_options)
@click.pass_context
def ab_command(ctx: click.Context, model_a: str | None, model_b: str | None, samples_a: str | None,
               samples_b: str | None, store: str | None, dataset: str | None, languages: str | None, alpha: float,
               samples: int, temperature: float | None, seed: int, max_new_tokens: int | None,
               config_path: str | None, out: str | None, as_json: bool) -> None:
    """Compare two models on the same problems with the same seeds (paired), two samples files, or the online
    A/B arms of a generation store: pass@1 and its difference with a bootstrap interval, an exact test,
    quality and latency side by side, and one sentence saying which is better."""
    from pathlib import Path

    from .errors import ConfigError
    from .evaluation.commands import Source, ab_command, store_command
    from .evaluation.report import ab_markdown

    if store is not None:
        if any((model_a, model_b, samples_a, samples_b, dataset)):
            raise ConfigError("--from-store compares the store's own arms: leave out --a, --b, --samples-a, "
                              "--samples-b and --dataset")
        comparison = store_command(store, alpha=alpha, seed=seed, out=Path(out) if out else None)
    elif dataset is None:
        raise ConfigError("codekiln ab needs --dataset NAME (or --from-store PATH)")
    else:
        comparison = ab_command(
            plugins_from(ctx), Source(model=model_a, samples=samples_a, options=("--a", "--samples-a")),
            Source(model=model_b, samples=samples_b, options=("--b", "--samples-b")), dataset=dataset,
            languages=_split(languages), samples=samples, temperature=temperature, seed=seed, alpha=alpha,
            config_path=config_path,
            overrides=[f"generation.max_new_tokens={max_new_tokens}"] if max_new_tokens else [],
            out=Path(out) if out else None)
    click.echo(json.dumps(comparison.to_json(), indent=2) if as_json else ab_markdown(comparison))


@cli.command("serve")
@click.option("--model", "model_path", required=True, metavar="PATH", help="The model to serve (a Hugging Face "
              "directory, such as a run's final/).")
@click.option("--model-b", "model_b", metavar="PATH", help="A second model for an online A/B test.")
@click.option("--split", type=float, help="The share of clients sent to --model-b (default 0.5).")
@click.option("--fallback", metavar="PATH", help="The model that answers when another fails or times out.")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False),
              help="A YAML config file: its sandbox, verifier, reward_params, device, model.dtype and "
                   "generation.backend are used.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--api-key-file", type=click.Path(dir_okay=False), help="API keys, one a line (also CODEKILN_API_KEYS).")
@click.option("--store", "store_url", default="codekiln-generations.db", show_default=True,
              help="Where every generation is stored: a file path or sqlite:///PATH.")
@click.option("--dataset", "datasets", multiple=True, metavar="FORMAT:PATH",
              help="Also serve this file dataset's problems by id; repeatable.")
@click.option("--rate", default="60/minute", show_default=True, help="Requests per client (more: 429).")
@click.option("--queue-size", type=int, default=32, show_default=True, help="Requests in progress (more: 503).")
@click.option("--timeout", "timeout_s", type=float, default=60.0, show_default=True,
              help="Seconds a model may take to answer before the fallback answers (or 504).")
@click.option("--max-body-mb", type=float, default=1.0, show_default=True, help="Request body size (more: 413).")
@click.option("--max-tokens", type=int, default=1024, show_default=True,
              help="New tokens one request may ask for (more: 422).")
@click.option("--max-completions", type=int, default=16, show_default=True,
              help="Completions (prompts × n) one /v1/completions request may ask for (more: 422).")
@click.option("--refuse-insecure", is_flag=True, help="Withhold code with high-severity security findings.")
@click.pass_context
def serve_command(ctx: click.Context, model_path: str, model_b: str | None, split: float | None,
                  fallback: str | None, config_path: str | None, host: str, port: int, api_key_file: str | None,
                  store_url: str, datasets: tuple[str, ...], rate: str, queue_size: int, timeout_s: float,
                  max_body_mb: float, max_tokens: int, max_completions: int, refuse_insecure: bool) -> None:
    """Serve models over HTTP: POST /v1/generate (verified code under constraints), OpenAI's /v1/completions
    and /v1/chat/completions, the stored history, the review page, /healthz and /metrics."""
    import os

    from .config import load_config
    from .errors import ConfigError
    from .scoring import Scorer

    try:
        from .serve.generation import Arms, GenerationLimits, GenerationService, serve_config
        from .serve.generation_app import run_generation_service
        from .serve.http import exposure, read_api_keys
        from .serve.models import load_served_model, model_names
        from .serve.store import open_store
    except ImportError as exc:
        raise CodekilnError(f"serve needs the serve and train extras ({exc.name} is not installed): "
                            "pip install 'codekiln[serve,train]'") from None

    if split is not None and model_b is None:
        raise ConfigError("--split sets the share of --model-b's clients: give --model-b too")
    api_keys = read_api_keys(os.environ.get("CODEKILN_API_KEYS"), api_key_file)
    exposure(host, api_keys)  # refuse an exposed address without keys before loading anything
    config = serve_config(load_config(config_path))
    if split is not None and not 0 <= split <= 1:
        raise ConfigError(f"--split {split}: the share of clients sent to --model-b is between 0 and 1")
    for option, count in (("--queue-size", queue_size), ("--max-tokens", max_tokens),
                          ("--max-completions", max_completions)):
        if count < 1:
            raise ConfigError(f"{option} {count}: give a number of at least 1")
    try:
        limits = GenerationLimits(max_body_bytes=int(max_body_mb * 1024 * 1024), queue_size=queue_size, rate=rate,
                                  timeout_s=timeout_s, max_tokens=max_tokens, max_completions=max_completions)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    paths = [p for p in (model_path, model_b, fallback) if p is not None]
    names = dict(zip(paths, model_names(paths)))
    store = open_store(store_url)  # a store that cannot be used fails before the models load
    plugins = plugins_from(ctx)
    _set_cpu_threads(config)

    def load(path: str | None) -> Any:
        if path is None:
            return None
        return load_served_model(path, names[path], backend=config.generation.backend, device=config.device,
                                 dtype=config.model.dtype,
                                 gpu_memory_utilization=config.generation.gpu_memory_utilization)

    try:
        arms = Arms(a=load(model_path), b=load(model_b), fallback=load(fallback),
                    split=0.5 if split is None else split)
        scorer = Scorer(config, plugins)
        try:
            service = GenerationService(plugins, scorer, store, arms, limits=limits, refuse_insecure=refuse_insecure,
                                        datasets=datasets)
            run_generation_service(service, host=host, port=port, api_keys=api_keys,
                                   announce=lambda line: click.echo(f"codekiln: {line}", err=True))
        finally:
            for model in arms.all():
                model.close()
            scorer.close()
    finally:
        store.close()


def _set_cpu_threads(config: Any) -> None:
    """torch's threads for generating on CPU: ``config.threads``, or half the cores (the verifier's workers
    take the rest), as the trainer's rollouts do."""
    import torch

    from .train.policy import resolve_device
    from .train.threads import beside_verifier

    if resolve_device(config.device).type == "cpu":
        torch.set_num_threads(beside_verifier(config.threads))


class Stopped(BaseException):
    """SIGINT or SIGTERM arrived (``args[0]`` is the signal); a BaseException, so that no ``except Exception``
    on the way out mistakes it for an error to handle."""


def _stop(signum: int, frame: Any) -> None:
    for stopping in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stopping, signal.SIG_IGN)
    raise Stopped(signum)


def main(argv: list[str] | None = None) -> None:
    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        cli.main(args=argv, prog_name="codekiln")
    except Stopped as stopped:
        name = signal.Signals(stopped.args[0]).name
        click.echo(f"codekiln: stopped by {name}; its processes and temporary files are gone", err=True)
        sys.exit(128 + stopped.args[0])
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

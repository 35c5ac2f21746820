"""The built-in TensorBoard, W&B and MLflow loggers, driven through the lifecycle hooks as the trainer calls
them, and read back with each tool's own reader (W&B offline, MLflow with a local file store)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from codekiln.builtin.loggers import mlflow as mlflow_logger
from codekiln.builtin.loggers import support as logger_support
from codekiln.builtin.loggers import tensorboard as tensorboard_logger
from codekiln.builtin.loggers import wandb as wandb_logger
from codekiln.plugins import make_plugins

CONFIG = {"seed": 3, "grpo": {"kl_coef": 0.05, "group_size": 4}}
STEPS = {1: {"reward/total": 0.25, "kl": 0.0, "note": "text is skipped"}, 2: {"reward/total": 0.75, "kl": 0.5}}


@pytest.fixture(autouse=True)
def quiet_environment(monkeypatch):
    """No logger is switched on by the developer's own environment, and each test warns afresh."""
    for name in ("WANDB_PROJECT", "WANDB_DIR", "WANDB_MODE", "MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(logger_support, "_warned", set())


def run_training(plugins, run_dir: Path, *, finish: bool = True) -> None:
    plugins.notify("codekiln_training_started", run_dir=run_dir, config=CONFIG, start_step=1)
    for step, metrics in STEPS.items():
        plugins.notify("codekiln_step_finished", run_dir=run_dir, step=step, metrics=metrics)
    plugins.notify("codekiln_evaluation_finished", run_dir=run_dir, name="after_grpo", metrics={"pass@1": 0.5})
    if finish:
        plugins.notify("codekiln_training_finished", run_dir=run_dir, metrics={"pass_rate": 0.5})


def fail_on_warning(line: str) -> None:
    raise AssertionError(line)


# -- TensorBoard -----------------------------------------------------------------------------------------


def tensorboard_scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_tensorboard_events_hold_every_step_evaluation_and_summary(tmp_path):
    run_training(make_plugins(autoload=False, warn=fail_on_warning), tmp_path)
    assert tensorboard_scalars(tmp_path) == {
        "reward/total": [(1, 0.25), (2, 0.75)],
        "kl": [(1, 0.0), (2, 0.5)],
        "eval/after_grpo/pass@1": [(2, 0.5)],  # at the last step logged
        "final/pass_rate": [(2, 0.5)],
    }
    assert tmp_path.resolve() not in tensorboard_logger._writers  # closed at the end


def test_tensorboard_events_survive_a_run_that_never_finishes(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_training(make_plugins(autoload=False, warn=fail_on_warning), tmp_path, finish=False)
    assert tensorboard_scalars(tmp_path)["reward/total"] == [(1, 0.25), (2, 0.75)]
    events = EventAccumulator(str(tmp_path / "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    [config_text] = events.Tensors("config/text_summary")
    assert '"kl_coef": 0.05' in config_text.tensor_proto.string_val[0].decode()
    tensorboard_logger._writers.pop(tmp_path.resolve()).close()


def test_tensorboard_drops_what_a_stopped_run_logged_past_its_checkpoint(tmp_path):
    # A run stopped after step 2 whose checkpoint was step 1 resumes at step 2: the events the stopped run
    # wrote for step 2 go, the re-logged ones stay, as metrics.jsonl keeps one row per step.
    plugins = make_plugins(autoload=False, warn=fail_on_warning)
    run_training(plugins, tmp_path, finish=False)
    tensorboard_logger._writers.pop(tmp_path.resolve()).close()
    plugins.notify("codekiln_training_started", run_dir=tmp_path, config=CONFIG, start_step=2)
    plugins.notify("codekiln_step_finished", run_dir=tmp_path, step=2, metrics={"reward/total": 0.5})
    plugins.notify("codekiln_training_finished", run_dir=tmp_path, metrics={"pass_rate": 0.5})
    assert tensorboard_scalars(tmp_path)["reward/total"] == [(1, 0.25), (2, 0.5)]


def test_tensorboard_without_the_package_warns_once_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # what an absent package looks like
    run_training(make_plugins(autoload=False), tmp_path)
    warnings = [line for line in capsys.readouterr().err.splitlines() if "builtin.tensorboard" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("codekiln: warning: builtin.tensorboard: no TensorBoard events are written")
    assert warnings[0].endswith("pip install tensorboard")
    assert not (tmp_path / "tensorboard").exists()
    assert (tmp_path / "metrics.jsonl").exists()  # the other loggers carried on


def test_blocking_the_tensorboard_logger(tmp_path):
    run_training(make_plugins(autoload=False, block=["builtin.tensorboard"]), tmp_path)
    assert not (tmp_path / "tensorboard").exists()


# -- Weights & Biases ------------------------------------------------------------------------------------


def wandb_records(path: Path) -> list:
    """The records of an offline run's ``.wandb`` file: a 7-byte file header, then LevelDB-log framing
    (32 KiB blocks; each chunk a 7-byte header of checksum, little-endian length and type: 1 full, 2 first,
    3 middle, 4 last) around ``wandb_internal_pb2.Record`` messages."""
    from wandb.proto import wandb_internal_pb2

    data, position, pending, records = path.read_bytes(), 7, b"", []
    while position + 7 <= len(data):
        if 32768 - position % 32768 < 7:  # too little room left in the block for a header: padding
            position += 32768 - position % 32768
            continue
        length, kind = int.from_bytes(data[position + 4 : position + 6], "little"), data[position + 6]
        pending += data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def test_wandb_logs_an_offline_run(tmp_path, monkeypatch):
    wandb = pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_PROJECT", "codekiln-test")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run_dir = tmp_path / "run-7"
    run_dir.mkdir()
    run_training(make_plugins(autoload=False, block=["builtin.tensorboard"], warn=fail_on_warning), run_dir)

    assert wandb_logger._runs == {}  # finished
    # run.finish() returns before W&B's service has flushed and closed the run's log (CI once read it empty
    # under load); tearing the service down waits for that.
    wandb.teardown()
    [log] = (run_dir / "wandb").glob("offline-run-*/run-*.wandb")  # no WANDB_DIR: under the run directory
    records = wandb_records(log)
    [run] = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    assert (run.project, run.display_name) == ("codekiln-test", "run-7")
    config = {item.key: json.loads(item.value_json) for item in run.config.update}
    assert (config["seed"], config["grpo"]) == (3, {"kl_coef": 0.05, "group_size": 4})
    history = [
        {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in r.history.item}
        for r in records if r.HasField("history")
    ]
    assert [(row["_step"], row["reward/total"], row["kl"]) for row in history] == [(1, 0.25, 0.0), (2, 0.75, 0.5)]
    assert all("note" not in row for row in history)
    summary = {}
    for r in records:
        if r.HasField("summary"):
            summary.update({item.key: json.loads(item.value_json) for item in r.summary.update})
    assert summary["eval/after_grpo/pass@1"] == 0.5
    assert summary["pass_rate"] == 0.5


def test_wandb_does_nothing_unless_switched_on(tmp_path):
    pytest.importorskip("wandb")
    run_training(make_plugins(autoload=False, warn=fail_on_warning), tmp_path)
    assert not (tmp_path / "wandb").exists()
    assert wandb_logger._runs == {}


def test_wandb_switched_on_but_not_installed_warns_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WANDB_PROJECT", "codekiln-test")
    monkeypatch.setitem(sys.modules, "wandb", None)
    run_training(make_plugins(autoload=False, block=["builtin.tensorboard"]), tmp_path)
    warnings = [line for line in capsys.readouterr().err.splitlines() if "builtin.wandb" in line]
    assert warnings == [
        "codekiln: warning: builtin.wandb: WANDB_PROJECT is set but wandb is not installed (pip install wandb); "
        "not logging to W&B"
    ]


# -- MLflow ----------------------------------------------------------------------------------------------


def test_mlflow_logs_a_run_to_a_file_store(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 otherwise wants a database or a server
    run_dir = tmp_path / "run-8"
    run_dir.mkdir()
    run_training(make_plugins(autoload=False, block=["builtin.tensorboard"], warn=fail_on_warning), run_dir)

    client = MlflowClient()
    [run] = client.search_runs([client.get_experiment_by_name("codekiln").experiment_id])
    assert (run.info.run_name, run.info.status) == ("run-8", "FINISHED")
    assert run.data.params == {"seed": "3", "grpo.kl_coef": "0.05", "grpo.group_size": "4"}
    history = [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "reward/total")]
    assert sorted(history) == [(1, 0.25), (2, 0.75)]
    assert run.data.metrics == {
        "reward/total": 0.75, "kl": 0.5, "eval/after_grpo/pass_at_1": 0.5, "final/pass_rate": 0.5,
    }


def test_mlflow_does_nothing_unless_switched_on(tmp_path):
    run_training(make_plugins(autoload=False, block=["builtin.tensorboard"], warn=fail_on_warning), tmp_path)
    assert mlflow_logger._runs == {}


def test_mlflow_switched_on_but_not_installed_warns_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    for name in [name for name in sys.modules if name == "mlflow" or name.startswith("mlflow.")] or ["mlflow"]:
        monkeypatch.setitem(sys.modules, name, None)  # what an absent package looks like, even once imported
    run_training(make_plugins(autoload=False, block=["builtin.tensorboard"]), tmp_path)
    warnings = [line for line in capsys.readouterr().err.splitlines() if "builtin.mlflow" in line]
    assert len(warnings) == 1 and "mlflow is not installed" in warnings[0]
    assert not (tmp_path / "mlruns").exists()


def test_an_unreachable_mlflow_server_is_said_once(tmp_path, monkeypatch, capsys):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # the discard port: connection refused
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    run_training(make_plugins(autoload=False, block=["builtin.tensorboard"]), tmp_path)
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "builtin.mlflow" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("codekiln: warning: builtin.mlflow: could not start an MLflow run, not logging to "
                                  "MLflow: ")
    assert mlflow_logger._runs == {}


def test_mlflow_names():
    assert mlflow_logger.mlflow_name("pass@1/python") == "pass_at_1/python"
    assert mlflow_logger.mlflow_name("time/verify (s)") == "time/verify _s_"

"""The run's plot and markdown summary."""

from __future__ import annotations

import struct

import pytest

from codekiln.train.report import reward_trend, write_plot, write_summary

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Eight GRPO steps as logged: keys come and go between rows (step 3 has no pass rates, step 5 no KL).
ROWS = [
    {"step": s, "reward/total": r, "reward/tests": r / 2, "pass_rate/python": r, "pass_rate/java": r / 4,
     "kl": 0.01 * s, "time/generate": 2.0, "time/verify": 1.0, "time/train": 0.5}
    for s, r in zip(range(1, 9), [0.1, 0.3, 0.2, 0.4, 0.5, 0.4, 0.7, 0.9])
]
del ROWS[2]["pass_rate/python"], ROWS[2]["pass_rate/java"], ROWS[4]["kl"]

EVALUATIONS = {
    "before_sft": {"pass_rate": 0.0, "pass_rate/python": 0.0, "pass_rate/java": 0.0},
    "after_sft": {"pass_rate": 0.25, "pass_rate/python": 0.375, "pass_rate/java": 0.125},
    "after_grpo": {"pass_rate": 0.5, "pass_rate/python": 0.625, "pass_rate/cpp": 0.5},
}


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


def test_plot_is_a_png(tmp_path):
    path = write_plot(ROWS, tmp_path / "out" / "plot.png")
    assert path == tmp_path / "out" / "plot.png"
    assert png_size(path) == (700, 900)  # 7 × 9 inches at 100 dpi
    assert path.stat().st_size > 10_000  # three panels of lines, not an empty canvas


def test_plot_draws_the_kl_panel_only_when_kl_was_computed(tmp_path):
    # Only a reward: the pass-rate panel says "not logged"; no KL (kl_coef 0 logs none), no KL panel.
    path = write_plot([{"step": 1, "reward/total": 0.5}, {"step": 2, "reward/total": float("nan")}],
                      tmp_path / "plot.png")
    assert png_size(path) == (700, 600)


def test_plot_x_axis_counts_grpo_steps(tmp_path, monkeypatch):
    # The global step also counts SFT steps: 40 SFT steps, then GRPO steps 1 and 2 at global steps 41, 42.
    from matplotlib.axes import Axes

    drawn = []
    original = Axes.plot
    monkeypatch.setattr(Axes, "plot", lambda self, x, y, **kw: drawn.append(list(x)) or original(self, x, y, **kw))
    write_plot([{"step": 41, "grpo/step": 1, "reward/total": 0.5}, {"step": 42, "grpo/step": 2,
                                                                      "reward/total": 0.6}], tmp_path / "plot.png")
    assert drawn == [[1, 2]]


def test_no_rows_no_plot(tmp_path):
    assert write_plot([], tmp_path / "plot.png") is None
    assert write_plot([{"reward/total": 1.0}], tmp_path / "plot.png") is None  # no step to plot against
    assert not (tmp_path / "plot.png").exists()


def test_reward_trend_windows():
    # 8 values -> k = max(1, min(5, 8 // 4)) = 2: first (0.1 + 0.3) / 2 = 0.2, last (0.7 + 0.9) / 2 = 0.8.
    start, end, window = reward_trend(ROWS)
    assert (start, end, window) == (pytest.approx(0.2), pytest.approx(0.8), 2)
    assert reward_trend([{"reward/total": 0.3}]) == (0.3, 0.3, 1)
    # 40 values 0..39 -> k = 5: mean(0..4) = 2, mean(35..39) = 37.
    assert reward_trend([{"reward/total": float(v)} for v in range(40)]) == (2.0, 37.0, 5)
    with pytest.raises(ValueError, match="no step logged reward/total"):
        reward_trend([{"kl": 0.1}])


def test_summary(tmp_path):
    write_plot(ROWS, tmp_path / "plot.png")
    facts = {"model": "embedded (2 layers)", "languages": ["python", "java"], "grpo steps": 8,
             "wall time (s)": 123.456, "device": "cpu"}
    path = write_summary(tmp_path / "summary.md", evaluations=EVALUATIONS, metrics_rows=ROWS, facts=facts)
    assert path.read_text(encoding="utf-8").splitlines() == [
        "# codekiln run summary",
        "",
        "## Pass rate",
        "",
        "| evaluation | all | cpp | java | python |",
        "|---|---|---|---|---|",
        "| before_sft | 0.0% | – | 0.0% | 0.0% |",
        "| after_sft | 25.0% | – | 12.5% | 37.5% |",
        "| after_grpo | 50.0% | 50.0% | – | 62.5% |",
        "",
        "## GRPO reward",
        "",
        "Mean `reward/total` over the first 2 steps: 0.2; over the last 2 steps: 0.8. The reward rose by 0.6.",
        "",
        "## Time",
        "",
        "| phase | seconds | share |",
        "|---|---|---|",
        "| generate | 16.0 | 57% |",  # 8 × 2.0 of 8 × 3.5 = 28 s
        "| verify | 8.0 | 29% |",
        "| train | 4.0 | 14% |",
        "",
        "## Run",
        "",
        "| fact | value |",
        "|---|---|",
        "| model | embedded (2 layers) |",
        "| languages | python, java |",
        "| grpo steps | 8 |",
        "| wall time (s) | 123.5 |",
        "| device | cpu |",
        "",
        "![Reward, pass rate and KL over the GRPO steps](plot.png)",
    ]


def test_summary_of_a_run_that_learned_nothing(tmp_path):
    rows = [{"step": 1, "reward/total": 0.5}, {"step": 2, "reward/total": 0.25}]
    text = write_summary(tmp_path / "summary.md", evaluations={}, metrics_rows=rows, facts={}).read_text()
    assert "No evaluation was run." in text
    # Two steps -> k = 1: first 0.5, last 0.25.
    assert "Mean `reward/total` over the first step: 0.5; over the last step: 0.25. " \
           "The reward did not rise (change -0.25)." in text
    assert "No step logged its timings." in text
    assert "## Run" not in text and "plot.png" not in text
    assert "No GRPO step logged `reward/total`." in write_summary(
        tmp_path / "s.md", evaluations={}, metrics_rows=[], facts={}).read_text()


def test_summary_shows_each_split_apart_in_the_order_a_run_meets_them(tmp_path):
    evaluations = {"after_sft": {"pass_rate": 0.5, "pass_rate/python": 0.5, "pass_rate/split/heldout": 0.0,
                                 "pass_rate/split/rl": 0.25, "pass_rate/split/sft": 0.75, "pass_rate/split/mine": 1.0},
                   "after_grpo": {"pass_rate": 0.6, "pass_rate/python": 0.6, "pass_rate/split/rl": 0.5}}
    text = write_summary(tmp_path / "summary.md", evaluations=evaluations, metrics_rows=[], facts={}).read_text()
    assert "| evaluation | all | python | split sft | split rl | split heldout | split mine |" in text
    assert "| after_sft | 50.0% | 50.0% | 75.0% | 25.0% | 0.0% | 100.0% |" in text
    assert "| after_grpo | 60.0% | 60.0% | – | 50.0% | – | – |" in text

"""The HTML report plots a GRPO student's reward and pass rate per step (results.json's
`training`, written from `Trainer.figures`)."""

from __future__ import annotations

import re

from distil_builtin.reporters import html, svg

STEPS = [{"step": 1, "reward": 0.5, "pass_rate": 0.25, "kl": 0.0, "completion_length": 40.0},
         {"step": 2, "reward": 0.9, "pass_rate": 0.5, "kl": 0.01, "completion_length": 35.0},
         {"step": 3, "reward": 1.4, "pass_rate": 0.75, "kl": 0.02, "completion_length": 30.0}]


def test_the_report_plots_reward_and_pass_rate_per_step():
    page = html.run_page({"run": {"recipe": "r"}, "models": {},
                          "training": {"method": "sft+grpo", "steps": STEPS}})
    assert "<h2>Student training</h2>" in page and "sft+grpo" in page
    reward = page[page.index('aria-label="mean reward per GRPO step"'):]
    reward = reward[:reward.index("</svg>")]
    assert re.findall(r"<title>step (\d+): ([\d.]+)</title>", reward) == [
        ("1", "0.5"), ("2", "0.9"), ("3", "1.4")]
    passed = page[page.index('aria-label="pass rate per GRPO step"'):]
    passed = passed[:passed.index("</svg>")]
    assert re.findall(r"<title>step (\d+): ([\d.]+%)</title>", passed) == [
        ("1", "25.0%"), ("2", "50.0%"), ("3", "75.0%")]


def test_no_training_figures_no_section():
    assert "Student training" not in html.run_page({"run": {"recipe": "r"}, "models": {}})
    assert "Student training" not in html.run_page({"run": {"recipe": "r"}, "models": {},
                                                    "training": {"steps": []}})


def test_a_missing_figure_leaves_a_gap_in_the_line():
    chart = svg.line_chart([(1, 0.2), (2, None), (3, 0.4), (4, 0.5)])
    lines = re.findall(r'class="series" d="([^"]+)"', chart)
    assert len(lines) == 1 and lines[0].count("L") == 1  # 3-4 joined; 1 stands alone
    assert chart.count('class="point"') == 3
    higher = svg.line_chart([(1, 0.0), (2, 1.0)], domain=(0.0, 1.0))
    ys = [float(y) for y in re.findall(r'class="point" cx="[\d.]+" cy="([\d.]+)"', higher)]
    assert ys[0] > ys[1]  # SVG's y grows downwards: the larger value is drawn higher

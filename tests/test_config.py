"""Config loading: YAML file, dotted overrides, and one-line errors naming the place."""

from __future__ import annotations

import pytest

from codekiln.config import Config, config_to_yaml, load_config
from codekiln.errors import ConfigError


def test_defaults_then_file_then_overrides(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("seed: 7\ngrpo:\n  group_size: 4\n  kl_coef: 0.01\nrewards: {all_tests: 1.0}\n")
    config = load_config(path, ["grpo.group_size=16", "data.languages=[python, java]"])
    assert config.seed == 7
    assert config.grpo.group_size == 16  # the override wins over the file
    assert config.grpo.kl_coef == 0.01
    assert config.rewards == {"all_tests": 1.0}  # a mapping replaces the default mapping
    assert config.data.languages == ["python", "java"]
    assert config.sft == Config().sft  # untouched sections keep their defaults


def test_show_round_trips(tmp_path):
    config = load_config(None, ["grpo.steps=3", "model.path=/models/tiny"])
    path = tmp_path / "effective.yaml"
    path.write_text(config_to_yaml(config))
    assert load_config(path) == config


def test_integers_are_accepted_for_floats():
    assert load_config(None, ["grpo.learning_rate=1"]).grpo.learning_rate == 1.0


def test_exponents_without_a_dot_are_numbers():
    # YAML 1.1 reads 3e-4 as a string; a user typing it means the number.
    assert load_config(None, ["grpo.learning_rate=3e-4"]).grpo.learning_rate == 3e-4
    with pytest.raises(ConfigError, match=r"'grpo\.learning_rate' must be a number, got 'fast'"):
        load_config(None, ["grpo.learning_rate=fast"])


def test_empty_file_means_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert load_config(path) == Config()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["grpo.group_sze=8"], "unknown config key 'grpo.group_sze'; did you mean 'grpo.group_size'?"),
        (["group_size=8"], "unknown config key 'group_size'; did you mean 'grpo.group_size'?"),
        (["grpo.zzz=1"], "unknown config key 'grpo.zzz'; valid keys under 'grpo': enabled, steps,"),
        (["grpo.group_size=eight"], "config key 'grpo.group_size' must be an integer, got 'eight'"),
        (["grpo.group_size=0"], "config key 'grpo.group_size' must be > 0: 0"),
        (["sandbox.wall_time_s=.inf"], "config key 'sandbox.wall_time_s' must be a finite number, got inf"),
        (["grpo.kl_coef=.inf"], "config key 'grpo.kl_coef' must be a finite number, got inf"),
        (["grpo.scale_rewards=maybe"], "config key 'grpo.scale_rewards' must be true or false, got 'maybe'"),
        (["sandbox.isolation=docker"], "config key 'sandbox.isolation' must be one of none, process, namespaces"),
        (["data.languages=python"], "config key 'data.languages' must be a list, got str 'python'"),
        (["rewards.tests=high"], "config key 'rewards.tests' must be a number, got 'high'"),
        (["grpo=3"], "config section 'grpo' must be a mapping, got int 3"),
        (["seed"], "override 'seed' must look like key.subkey=value"),
        (["grpo.steps.x=1"], "config key 'grpo.steps' must be an integer, got {'x': 1}"),
    ],
)
def test_bad_overrides_give_one_line_naming_the_key(overrides, message):
    with pytest.raises(ConfigError) as info:
        load_config(None, overrides)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("seed: 1\ngrpo:\n  group_size: 4\n bad: [\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:4: not valid YAML"):
        load_config(path)


def test_unknown_key_in_file(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("sft:\n  epoch: 2\n")
    with pytest.raises(ConfigError, match=r"^unknown config key 'sft.epoch'; did you mean 'sft.epochs'\?$"):
        load_config(path)


def test_a_list_at_top_level_is_rejected(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must be a mapping of keys to values, got list"):
        load_config(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot read config file .*nope\.yaml"):
        load_config(tmp_path / "nope.yaml")


def test_yaml_anchors_and_aliases_are_welcome(tmp_path):
    path = tmp_path / "shared.yaml"
    path.write_text("reward_params:\n  a: &p {weight: 2}\n  b: *p\n")
    assert load_config(path).reward_params == {"a": {"weight": 2}, "b": {"weight": 2}}


@pytest.mark.parametrize(("text", "message"), [
    ("reward_params:\n  q:\n    l0: &l0 [x,x,x,x,x,x,x,x,x,x]\n"
     + "".join(f"    l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 9)),
     r"its aliases expand to [\d,]+ values, more than the 1,000,000 codekiln reads"),
    ("seed: " + "9" * 5000 + "\n", r"not readable YAML \(Exceeds the limit \(4300 digits\)"),
    ("reward_params: &a {q: {self: *a}}\n", "an alias refers to a list or mapping that contains it"),
], ids=["alias-bomb", "huge-int", "self-reference"])
def test_a_config_python_cannot_hold_is_one_line_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"^{path}: {message}") as info:
        load_config(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("value", "message"), [
    ("[&l0 [x,x,x,x,x,x,x,x,x,x], " + ", ".join(f"&l{i} [{','.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9))
     + "]", r"its aliases expand to [\d,]+ values, more than the 1,000,000 codekiln reads"),
    ("9" * 5000, r"not readable YAML \(Exceeds the limit \(4300 digits\)"),
    ("[" * 10000, r"not readable YAML \(nested too deeply\)"),
], ids=["alias-bomb", "huge-int", "deep"])
def test_an_override_python_cannot_hold_is_one_line_naming_the_key(value, message):
    with pytest.raises(ConfigError, match=rf"^override reward_params.q.v: {message}") as info:
        load_config(None, [f"reward_params.q.v={value}"])
    assert "\n" not in str(info.value)


def test_an_override_is_yaml_or_else_its_text():
    overrides = ["reward_params.q.list=[a, &b 2, *b]", "reward_params.q.open=[a", "reward_params.q.colons=x: y: z"]
    assert load_config(None, overrides).reward_params == {"q": {"list": ["a", 2, 2], "open": "[a",
                                                                "colons": "x: y: z"}}


def test_a_config_of_bad_utf8_is_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"seed: 1\nname: \xff\n")
    with pytest.raises(ConfigError, match=rf"^{path}: not valid UTF-8"):
        load_config(path)

"""The codekiln environment stepped by hand, as NeMo RL's rollout steps its Ray actor (docs/integrations/nemo_rl.md).

A wrong first answer gets the verifier's feedback as the next user turn, and the episode goes on:

>>> from codekiln.integrations.nemo_rl import CodekilnEnvironment
>>> env = CodekilnEnvironment({"rewards": {"all_tests": 1.0}, "max_turns": 2, "verifier": {"workers": 1}})
>>> task = {"dataset": "builtin", "task_id": "celsius_to_fahrenheit", "language": "python"}
>>> log = [{"role": "user", "content": "Convert each temperature to Fahrenheit."},
...        {"role": "assistant", "content": "```python\\ndef celsius_to_fahrenheit(temps):\\n    return temps\\n```"}]
>>> result = env.step([log], [task])
>>> result.terminateds.tolist(), result.rewards.tolist()
([False], [0.0])
>>> print(result.observations[0]["content"])  # doctest: +ELLIPSIS
Your Python code runs, but ... tests fail.
(Which tests fail and what they expect is not shown.)
Fix the code and answer with the whole corrected solution.

The repaired second answer ends the episode with the reward of the configured rewards:

>>> log += [result.observations[0],
...         {"role": "assistant", "content": "```python\\ndef celsius_to_fahrenheit(temps):\\n"
...                                          "    return [c * 9 / 5 + 32 for c in temps]\\n```"}]
>>> result = env.step([log], result.metadata)
>>> result.terminateds.tolist(), result.rewards.tolist(), result.metadata[0]["codekiln"]["turn"]
([True], [1.0], 2)
>>> env.shutdown()
"""

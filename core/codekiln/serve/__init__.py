"""codekiln's services. ``codekiln serve-verifier`` (:mod:`.verifier_app`) verifies and scores samples over
HTTP for trainers on other machines: codekiln's own ``POST /v1/verify`` and NeMo Gym's ``POST /verify``
(:mod:`.gym`), over one :class:`~.verification.VerificationService`; :class:`codekiln.client.VerifierClient` is
its Python client. ``codekiln serve`` (:mod:`.generation_app`) serves models: verified code under constraints
(:mod:`.generation`), OpenAI-compatible completions, every generation kept in a store (:mod:`.store`) and a
human review page (:mod:`.review`). What both share over HTTP is in :mod:`.http`. FastAPI, uvicorn,
prometheus_client and limits come with the ``serve`` extra."""

"""codekiln's services. ``codekiln serve-verifier`` (:mod:`.verifier_app`) verifies and scores samples over
HTTP for trainers on other machines: codekiln's own ``POST /v1/verify`` and NeMo Gym's ``POST /verify``
(:mod:`.gym`), over one :class:`~.verification.VerificationService`. :class:`codekiln.client.VerifierClient`
is its Python client. FastAPI, uvicorn and prometheus_client come with the ``serve`` extra."""

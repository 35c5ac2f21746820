"""Human review: a page at ``/review`` where a reviewer sees two generations for the same prompt side by side,
with their verdicts, and rates each one's readability and correctness from 1 to 5; the ratings go to the
generation store, where ``codekiln ab --from-store`` reads them.

The review is blind: the page shows the prompt, the code and its verdict, never the model, version or arm.
Routes (an :class:`~fastapi.APIRouter` that ``codekiln serve`` mounts):

- ``GET /review``: the page (static HTML with a little JavaScript; it loads nothing from elsewhere).
- ``GET /v1/review/pair?reviewer=NAME``: the least rated pair this reviewer has not rated yet, or ``null``.
- ``POST /v1/review/ratings``: ``{"reviewer": NAME, "ratings": [{"generation_id", "readability",
  "correctness"}, ...]}``; all are checked before any is stored. A reviewer has one rating per generation:
  rating it again replaces the earlier one. Any stored generation may be rated, not only one the page showed:
  the review is blind on the page, while ``/v1/generations`` names each generation's model to any key holder.
- ``POST /v1/review/login``: ``{"key": KEY}`` sets the key as an HttpOnly cookie for the page.

With API keys configured, the two ``/v1/review/...`` data routes take the key as ``Authorization: Bearer KEY``,
as the cookie the page's login form sets, or as ``?key=KEY``. An app mounts it with
``app.include_router(review_router(store, api_keys))``, giving it the keys its own routes check.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from .http import ApiKeys, RequestError
from .store import Generation, GenerationStore

__all__ = ["KEY_COOKIE", "review_router"]

#: The cookie the page's login form sets; HttpOnly, so the page's own script never reads the key back.
KEY_COOKIE = "codekiln_review_key"
#: How many of the least rated pairs are searched for one this reviewer has not rated.
_CANDIDATES = 50


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1)


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    generation_id: str
    readability: int = Field(ge=1, le=5)
    correctness: int = Field(ge=1, le=5)


class RatingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewer: str = Field(min_length=1, max_length=200, pattern=r"\S")
    ratings: list[RatingIn] = Field(min_length=1, max_length=2)


def _shown(generation: Generation) -> dict[str, Any]:
    """What a reviewer sees of a generation: the code and its verdict, nothing that names its source."""
    return {"id": generation.id, "code": generation.code, "status": generation.status or "not verified",
            "passed": generation.passed, "compiled": generation.compiled, "quality": generation.quality,
            "met_constraints": generation.met_constraints, "reasons": generation.reasons,
            "security": generation.security}


def review_router(store: GenerationStore, api_keys: Collection[str] = ()) -> APIRouter:
    """The review page and its API over ``store``, checking the service's ``api_keys`` (none: no key asked;
    serve it on loopback only). Errors are :class:`~.http.RequestError`: mount it in an app with
    :func:`~.http.install_error_handlers`, as the services are."""
    keys = ApiKeys(api_keys)
    page = files("codekiln.serve").joinpath("static/review.html").read_text(encoding="utf-8")
    router = APIRouter(tags=["review"])

    def reviewer_key(request: Request) -> None:
        """The service's key check on the key from the header, else the page's cookie, else ``?key=``."""
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        keys.check((bearer if scheme.lower() == "bearer" else "").strip() or request.cookies.get(KEY_COOKIE)
                   or request.query_params.get("key"))

    @router.get("/review", response_class=HTMLResponse, summary="The human review page")
    def review_page() -> HTMLResponse:
        return HTMLResponse(page)

    @router.post("/v1/review/login", status_code=204, summary="Keep an API key in a cookie for the review page")
    def login(body: LoginIn, response: Response) -> None:
        if keys:
            keys.check(body.key)
            # SameSite=Strict: no other site's page can post ratings with this cookie.
            response.set_cookie(KEY_COOKIE, body.key, httponly=True, samesite="strict", path="/")

    @router.get("/v1/review/pair", dependencies=[Depends(reviewer_key)],
                summary="Two generations of one prompt to rate; null when none is left")
    def review_pair(reviewer: str = "") -> dict[str, Any]:
        rated = {r.generation_id for r in store.ratings() if r.reviewer == reviewer.strip()}
        for first, second in store.pairs_to_review(limit=_CANDIDATES):
            if not {first.id, second.id} <= rated:
                return {"pair": {"prompt": first.prompt, "language": first.language,
                                 "generations": [_shown(first), _shown(second)]}}
        return {"pair": None}

    @router.post("/v1/review/ratings", dependencies=[Depends(reviewer_key)], summary="Store a reviewer's ratings")
    def rate(body: RatingsIn) -> dict[str, int]:
        ids = [r.generation_id for r in body.ratings]
        if len(set(ids)) < len(ids):
            raise RequestError(422, f"ratings: generation {ids[0]!r} is rated twice; rate each answer once")
        missing = [generation_id for generation_id in ids if store.get(generation_id) is None]
        if missing:  # checked first, so a submission is stored whole or not at all
            raise RequestError(404, f"no generation {missing[0]!r} in the store; reload the review page")
        for rating in body.ratings:
            store.add_rating(rating.generation_id, reviewer=body.reviewer, readability=rating.readability,
                             correctness=rating.correctness)
        return {"stored": len(body.ratings)}

    return router

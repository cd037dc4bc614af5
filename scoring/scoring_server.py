"""The scoring server: rewards for generated Go tests over HTTP.

    fastapi run scoring/scoring_server.py [--host H] [--port P]

or a bare `fastapi run` in the repo root (pyproject's [tool.fastapi] entrypoint). Either way
fastapi-cli imports it as scoring.scoring_server, with the repo root on the path.

Configured by SCORING_* environment variables (scoring/settings.py); the interface is
docs/scoring-api.md, and the OpenAPI page is served at /docs, with its script and styles from
the installed fastapi-offline package, so that it works on a machine with no internet.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from scoring import warmup
from scoring.body_limit import BodyLimit
from scoring.models import MAX_BODY_BYTES, MAX_ITEMS, Health, ScoreRequest, ScoreResponse
from scoring.sandbox import Sandbox, SandboxUnavailable
from scoring.scorer import Scorer
from scoring.settings import Settings, get_settings

logger = logging.getLogger("scoring")


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings = app.dependency_overrides.get(get_settings, get_settings)()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app.state.scorer = None
    app.state.unavailable = ""
    warm_up = None
    try:
        scorer = Scorer(settings, Sandbox())
        await scorer.start()
        app.state.scorer = scorer
        logger.info(
            "scoring %s with %s, %d at once",
            settings.repos_dir,
            scorer.go_version,
            settings.concurrency,
        )
        if settings.warmup:
            warm_up = asyncio.create_task(scorer.warm_up())
    except (SandboxUnavailable, RuntimeError, OSError) as err:
        # Never score unsandboxed: the server stays up to say why, and answers 503.
        app.state.unavailable = str(err)
        logger.error("cannot score: %s", err)
    try:
        yield
    finally:
        await warmup.stop(warm_up)
        if app.state.scorer is not None:
            await app.state.scorer.close()


app = FastAPIOffline(
    title="Go test scoring server",
    summary="Builds and runs generated Go tests in a sandbox and returns their rewards.",
    description="The interface in full (statuses, reward formulas, guarantees, settings) is "
    "docs/scoring-api.md in the project.",
    lifespan=lifespan,
    # swagger-ui would otherwise ask validator.swagger.io to check the schema, off the machine.
    swagger_ui_parameters={"validatorUrl": None},
)
# Before anything reads the body: one request cannot make the server hold more than this.
app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)


@app.exception_handler(RequestValidationError)
async def malformed(request: Request, err: RequestValidationError) -> JSONResponse:
    """422 naming where and what, never echoing the input: it may be huge, or not even text
    that JSON can carry back (a lone surrogate)."""
    errors = [{key: e[key] for key in ("loc", "msg", "type") if key in e} for e in err.errors()]
    return JSONResponse(status_code=422, content={"detail": errors})


def loopback_unless_token(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> None:
    """Without SCORING_TOKEN the server trusts only its own machine."""
    if settings.token is not None:
        return
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "testclient"  # Starlette's TestClient, which never leaves the process
    if not loopback:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="without SCORING_TOKEN only loopback clients are served",
        )


def authorize(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    _: Annotated[None, Depends(loopback_unless_token)],
) -> None:
    if settings.token is None:
        return
    scheme, _sep, given = request.headers.get("authorization", "").partition(" ")
    expected = settings.token.get_secret_value().encode()
    # compare_digest takes the same time wherever the first wrong byte is.
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong bearer token (SCORING_TOKEN is set)",
            headers={"WWW-Authenticate": "Bearer"},
        )


def scorer_of(request: Request) -> Scorer:
    scorer = request.app.state.scorer
    if scorer is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"the scorer cannot score: {request.app.state.unavailable}",
        )
    return scorer


@app.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health}},
    dependencies=[Depends(loopback_unless_token)],
)
async def health(request: Request, settings: Annotated[Settings, Depends(get_settings)]):
    """200 while the server can score (Go toolchain and sandbox work), 503 otherwise."""
    scorer = request.app.state.scorer
    if scorer is None:
        return JSONResponse(
            status_code=503,
            content=Health(
                status=f"unavailable: {request.app.state.unavailable}",
                go="",
                concurrency=settings.concurrency,
            ).model_dump(),
        )
    return Health(status="ok", go=scorer.go_version, concurrency=settings.concurrency)


@app.post(
    "/score",
    response_model=ScoreResponse,
    dependencies=[Depends(authorize)],
    responses={
        401: {"description": "SCORING_TOKEN is set and the bearer token is missing or wrong."},
        403: {"description": "SCORING_TOKEN is unset and the client is not on loopback."},
        413: {"description": f"Over {MAX_ITEMS} items, or a body over {MAX_BODY_BYTES} bytes."},
        503: {"description": "The server cannot score (see GET /health)."},
    },
)
async def score(body: ScoreRequest, scorer: Annotated[Scorer, Depends(scorer_of)]):
    """Scores each item; a bad item gets its own status and never fails its neighbours."""
    if len(body.items) > MAX_ITEMS:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"{len(body.items)} items; at most {MAX_ITEMS} per request",
        )
    return ScoreResponse(results=await scorer.score_many(body.items))

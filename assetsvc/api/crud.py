"""One router per registry entity, built from its Entity spec and Create/Update schemas."""

# No `from __future__ import annotations` here: the handlers name per-entity schemas held in
# closure variables, which Litestar can resolve only from evaluated annotations.
import inspect
from typing import Annotated, Any

from litestar import Request, Router, delete, get, patch, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from assetsvc.api.auth import actor_of
from assetsvc.api.query import MAX_ID, Id, Page, PerPage
from assetsvc.registry import crud
from assetsvc.registry.crud import Entity, filter_of
from assetsvc.registry.schemas import CREATE_SCHEMAS, present, update_of

RESERVED = {"q", "sort", "page", "per_page"}


def _filter_type(name: str, found: crud.Filter) -> Any:
    """The declared type of one list filter (the value still reaches the filter as text)."""
    if found.kind == "int":
        return Annotated[int | None, QueryParameter(name=name, ge=1, le=MAX_ID)]  # ids and codes start at 1
    if found.kind == "bool":
        return Annotated[bool | None, QueryParameter(name=name)]
    if found.kind == "region":
        return Annotated[str | None, QueryParameter(name=name, pattern="^[0-9]{6}$",
                                                description="a GB/T 2260 code: the region and all below it")]
    # "" is listed too: an empty filter is no filter (crud skips it), as a cleared select sends it.
    extra = {"enum": ["", *found.choices]} if found.choices else None
    return Annotated[str | None, QueryParameter(name=name, schema_extra=extra)]


def declare_filters(handler: Any, entity: Entity) -> Any:
    """Give the list handler one declared query parameter per filter of the entity, so the schema (and the
    UI's generated client) types them. Litestar reads parameters from the signature and annotations,
    so both are extended; the handler takes them as **filters (named f_<name>: `state`, `scope` and a
    few more are Litestar's reserved argument names)."""
    signature = inspect.signature(handler)
    kept = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    added = {f"f_{name}": _filter_type(name, filter_of(found)) for name, found in entity.filters.items()}
    kept += [inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=kind)
             for key, kind in added.items()]
    handler.__signature__ = signature.replace(parameters=kept)
    handler.__annotations__ = {**handler.__annotations__, **added}
    return handler


def entity_router(entity: Entity) -> Router:
    """List, read, create, update, delete and history for one record kind."""
    create_schema = CREATE_SCHEMAS[entity.name]
    update_schema = update_of(create_schema)
    tag = [entity.name]
    sorts = ["", *entity.sortable, *[f"-{s}" for s in entity.sortable]]  # empty: by id

    async def list_(
        request: Request, q: FromQuery[str | None] = None,
        sort: Annotated[str | None, QueryParameter(schema_extra={"enum": sorts})] = None,
        page: Page = 1, per_page: PerPage = 50, **declared: Any,
    ) -> dict[str, Any]:
        # The raw text of every other parameter: an undeclared one is refused by name in crud.
        filters = {k: v for k, v in request.query_params.items() if k not in RESERVED}
        return await crud.list_records(entity, actor_of(request), filters, q=q, sort=sort,
                                       page=page, per_page=per_page)

    list_ = get("/", tags=tag, summary=f"List {entity.name}")(declare_filters(list_, entity))

    @get("/{record_id:int}", tags=tag, summary=f"Read one of {entity.name}")
    async def read(request: Request, record_id: Id) -> dict[str, Any]:
        return await crud.get_record(entity, actor_of(request), record_id)

    @post("/", tags=tag, summary=f"Create one of {entity.name}")
    async def create(request: Request, data: JSONBody[create_schema]) -> dict[str, Any]:  # type: ignore[valid-type]
        return await crud.create_record(entity, actor_of(request), present(data))

    @patch("/{record_id:int}", tags=tag, summary=f"Change fields of one of {entity.name}")
    async def update(request: Request, record_id: Id, data: JSONBody[update_schema]) -> dict[str, Any]:  # type: ignore[valid-type]
        return await crud.update_record(entity, actor_of(request), record_id, present(data))

    @delete("/{record_id:int}", tags=tag, summary=f"Delete one of {entity.name}")
    async def remove(request: Request, record_id: Id) -> None:
        await crud.delete_record(entity, actor_of(request), record_id)

    @get("/{record_id:int}/history", tags=tag, summary=f"Change history of one of {entity.name}")
    async def history(request: Request, record_id: Id) -> list[dict[str, Any]]:
        return await crud.record_history(entity, actor_of(request), record_id)

    handlers = [list_, read, create, history, remove]
    if entity.updatable:
        handlers.append(update)
    return Router(path=f"/{entity.name}", route_handlers=handlers)

"""AI-agent routes (``/api/v1/agents``): a project's agents and a project-checked analyze.

Every route needs a project key and only sees that project's agents: another project's ids get
404. Evaluating needs an LLM backend; without one the answer is 503 with what to configure.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from modlab.agents import (
    AgentError,
    AgentNotFound,
    AgentStore,
    evaluate,
    install_resolver,
    result_json,
)
from modlab.annotation.backends.openai_compat import LLMEndpointError
from modlab.projects import ProjectView
from modlab.serving.errors import ApiError, require_project


class AgentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    rules: list[str]
    strictness: str = "balanced"


class AgentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    rules: list[str] | None = None
    strictness: str | None = None


class AgentAnalyze(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except AgentError as exc:
        raise ApiError(400, str(exc)) from None
    except AgentNotFound as exc:
        raise ApiError(404, str(exc)) from None
    except LLMEndpointError as exc:  # the endpoint is configured but failing
        raise ApiError(503, f"the LLM backend failed: {exc}") from None


def build_agents_router(runtime, caller) -> APIRouter:
    """The agents routes; also registers the ``agent:<id>`` analyzer resolver."""
    router = APIRouter()
    agents = AgentStore(runtime.db)
    install_resolver(runtime.db)

    def project_key_caller(request: Request) -> ProjectView:
        return require_project(caller(request))

    ProjectDep = Annotated[ProjectView, Depends(project_key_caller)]

    @router.get("/api/v1/agents")
    def list_agents(project: ProjectDep) -> dict:
        return {"status": "success", "agents": agents.list(project.id)}

    @router.post("/api/v1/agents")
    def create_agent(body: AgentCreate, project: ProjectDep) -> JSONResponse:
        with _errors():
            agent = agents.create(project.id, body.name, body.rules, body.strictness)
        return JSONResponse({"status": "success", **agent}, status_code=201)

    @router.delete("/api/v1/agents")
    def delete_agent_by_query(id: str, project: ProjectDep) -> dict:  # noqa: A002 - API name
        with _errors():
            agents.delete(project.id, id)
        return {"status": "success", "id": id}

    @router.get("/api/v1/agents/{agent_id}")
    def get_agent(agent_id: str, project: ProjectDep) -> dict:
        with _errors():
            return {"status": "success", **agents.get(project.id, agent_id)}

    @router.post("/api/v1/agents/{agent_id}")
    def update_agent(agent_id: str, body: AgentUpdate, project: ProjectDep) -> dict:
        with _errors():
            agent = agents.update(
                project.id,
                agent_id,
                name=body.name,
                rules=body.rules,
                strictness=body.strictness,
            )
        return {"status": "success", **agent}

    @router.delete("/api/v1/agents/{agent_id}")
    def delete_agent(agent_id: str, project: ProjectDep) -> dict:
        with _errors():
            agents.delete(project.id, agent_id)
        return {"status": "success", "id": agent_id}

    @router.post("/api/v1/agents/{agent_id}/analyze")
    def analyze(agent_id: str, body: AgentAnalyze, project: ProjectDep) -> dict:
        """The same answer as ``POST /api/v1/analyze/agent:<id>``, checked against the project."""
        if len(body.value) > runtime.settings.max_text_chars:
            raise ApiError(
                413,
                f"value has {len(body.value)} characters; "
                f"the limit is {runtime.settings.max_text_chars}",
            )
        with _errors():
            spec = agents.spec(project.id, agent_id)
            verdict = evaluate(runtime.db, spec, [body.value])[0]
        runtime.requests.count_usage(project.id, body.value)
        return result_json(spec, verdict)

    return router

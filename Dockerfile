# syntax=docker/dockerfile:1.7
# One image for every service and the post-office simulator: the service is chosen at run time
# (`python -m import_svc`, `beneficiary_svc`, `payment_svc`, `settlement_svc`,
# `btxh_gateway` (the officer console), `btxh_tools.postoffice_sim`). Versions come from uv.lock only.

FROM python:3.11-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
# dependencies first: this layer is reused until uv.lock changes
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY services/import-svc/pyproject.toml services/import-svc/
COPY services/beneficiary-svc/pyproject.toml services/beneficiary-svc/
COPY services/payment-svc/pyproject.toml services/payment-svc/
COPY services/settlement-svc/pyproject.toml services/settlement-svc/
COPY services/gateway/pyproject.toml services/gateway/
COPY tools/pyproject.toml tools/
# devtools (`btxh-token`, which mints tokens) is a workspace member for development only:
# its pyproject is needed to read the lock, the package itself is never installed here.
COPY devtools/pyproject.toml devtools/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --all-packages \
        --no-install-package btxh-devtools
COPY libs libs
COPY services services
COPY tools tools
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --all-packages --no-install-package btxh-devtools

FROM python:3.11-slim-bookworm AS runtime
# beneficiary-svc prints decisions as PDF with WeasyPrint: Pango, and a font with every
# Vietnamese diacritic (DejaVu Serif, which the decision template names). Not pinned: the
# bookworm archive keeps only the newest security build, so a pin would break the next build.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 btxh \
 && useradd --system --uid 10001 --gid btxh --no-create-home --shell /usr/sbin/nologin btxh
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HTTP_HOST=0.0.0.0
USER 10001:10001
EXPOSE 8000
# the same image runs the migrations as an init step: `python -m btxh_common.migrate <service>`
ENTRYPOINT ["python", "-m"]
CMD ["beneficiary_svc"]

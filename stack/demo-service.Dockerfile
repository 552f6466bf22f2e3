# The obsgen demo service ("profiles" API). Build context: the repository root
#   docker build -f stack/demo-service.Dockerfile -t obsgen/demo-service:0.1.0 .
# Two stages: the wheel and its runtime dependencies are built with pip in the first, the second
# only copies the installed virtualenv, so no build tools and no dev/test extras reach the image.
ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml setup.cfg README.md ./
COPY obsgen ./obsgen
COPY dashboards ./dashboards
COPY alerts ./alerts
COPY demo_service ./demo_service
# `.[demo]` only: the service and its runtime dependencies, not `test` or `bench`.
RUN pip install ".[demo]"

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEMO_HOST=0.0.0.0 \
    DEMO_PORT=8000
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
# The embedded SQLite database lives in the working directory, which the app user owns.
WORKDIR /home/app
RUN chown app:app /home/app
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["python", "-m", "demo_service"]

# The service as users install it: the wheel built from this checkout, its dependencies from the lock file.
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY services ./services
COPY schemas ./schemas
RUN pip install --no-cache-dir "build>=1.3,<2" && python -m build --wheel --outdir /dist

FROM python:3.11-slim
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-cache-dir --no-deps /tmp/dist/esledger-*.whl && rm -rf /tmp/dist /tmp/requirements.lock \
    && useradd --system --home-dir /var/lib/esledger --create-home esledger
USER esledger
WORKDIR /var/lib/esledger
EXPOSE 8000
CMD ["esledger", "serve", "--host", "0.0.0.0", "--port", "8000"]

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
COPY schemas ./schemas
RUN pip install --no-cache-dir -e .
ENV ESLEDGER_SCHEMAS_DIR=/app/schemas
EXPOSE 8000
CMD ["esledger", "serve", "--host", "0.0.0.0", "--port", "8000"]

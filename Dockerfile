FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY iafactory ./iafactory
COPY migrations ./migrations
RUN pip install --no-cache-dir -e .
ENV IAFACTORY_DATA_DIR=/data
EXPOSE 8000
CMD ["iafactory", "serve", "--host", "0.0.0.0", "--port", "8000"]

#!/usr/bin/env bash
# Create the trial's Secrets with freshly generated passwords (nothing secret is in the repository):
#   deploy/k8s/overlays/trial/create-secrets.sh            # into namespace autoservice-trial
#   deploy/k8s/overlays/trial/create-secrets.sh --print    # only print them (no cluster needed)
# The same Secret names and keys as production (deploy/k8s/README.md, "Secrets"), pointing at the
# in-namespace StatefulSets: postgres:5432 (one database per owner), rabbitmq:5672/15672 and minio:9000.
# Existing Secrets are left alone: PostgreSQL keeps the password it was initialised with, so to
# regenerate, delete the namespace (volumes included) and start over.
set -euo pipefail

NAMESPACE="${NAMESPACE:-autoservice-trial}"
OWNERS=(crm sales workshop inventory finance gateway)   # services.common.migrate.OWNERS
PRINT=false
[[ "${1:-}" == "--print" ]] && PRINT=true

# URL-safe (the passwords go into URLs) and free of '%' (alembic's config parser).
password() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "${1:-32}" || true; }

secret() {  # secret NAME --from-literal=KEY=VALUE ...
  local name="$1"; shift
  kubectl create secret generic "$name" --namespace "$NAMESPACE" "$@" --dry-run=client -o yaml
  echo "---"
}

if ! $PRINT && kubectl get secret autoservice-postgres --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "Secrets already exist in $NAMESPACE; left as they are." >&2
  exit 0
fi

PG_PASSWORD="$(password 32)"
declare -A DB_PASSWORD
for owner in "${OWNERS[@]}"; do DB_PASSWORD[$owner]="$(password 32)"; done
MQ_PASSWORD="$(password 32)"
S3_PASSWORD="$(password 32)"

manifests="$(
  secret autoservice-postgres --from-literal=POSTGRES_PASSWORD="$PG_PASSWORD" \
    $(for owner in "${OWNERS[@]}"; do echo "--from-literal=${owner^^}_DB_PASSWORD=${DB_PASSWORD[$owner]}"; done)
  secret autoservice-rabbitmq-server --from-literal=RABBITMQ_DEFAULT_PASS="$MQ_PASSWORD"
  secret autoservice-rabbitmq --from-literal=AMQP_URI="amqp://autoservice:${MQ_PASSWORD}@rabbitmq:5672/"
  secret autoservice-keda-rabbitmq --from-literal=host="http://autoservice:${MQ_PASSWORD}@rabbitmq.${NAMESPACE}.svc:15672/"
  for owner in "${OWNERS[@]}"; do
    secret "autoservice-db-${owner}" \
      --from-literal=url="postgresql+psycopg2://${owner}:${DB_PASSWORD[$owner]}@postgres:5432/${owner}"
  done
  secret autoservice-minio-server --from-literal=MINIO_ROOT_PASSWORD="$S3_PASSWORD"
  secret autoservice-s3 --from-literal=endpoint="http://minio:9000" --from-literal=access-key-id=autoservice \
    --from-literal=secret-access-key="$S3_PASSWORD" \
    --from-literal=public-endpoint="http://localhost:9000"   # browsers: kubectl port-forward svc/minio 9000
  secret autoservice-gateway --from-literal=JWT_SECRET="$(password 64)" \
    --from-literal=ADMIN_PASSWORD="$(password 16)"
  # a Fernet key: 32 random bytes, URL-safe base64
  secret autoservice-webhooks \
    --from-literal=WEBHOOK_SECRET_KEYS="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_')"
)"

if $PRINT; then
  printf '%s\n' "$manifests"
else
  kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || kubectl create namespace "$NAMESPACE"
  printf '%s\n' "$manifests" | kubectl apply -f -
  echo "admin password: kubectl -n $NAMESPACE get secret autoservice-gateway -o jsonpath='{.data.ADMIN_PASSWORD}' | base64 -d"
fi

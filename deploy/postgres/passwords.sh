#!/bin/sh
# Each owner's database password from the environment: <OWNER>_DB_PASSWORD for crm, sales, workshop,
# inventory, finance and gateway (the roles init.sql made; URL-safe characters: they go into URLs). Run by
# the postgres image after init.sql on an empty data directory, and again by hand to rotate them
# (deploy/k8s/README.md, "Rotate the database passwords"):
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/passwords.sh
# Refuses to run without every password: no owner is left without one or with a default.
for owner in crm sales workshop inventory finance gateway; do
  variable="$(echo "$owner" | tr a-z A-Z)_DB_PASSWORD"
  password="$(printenv "$variable")"
  if [ -z "$password" ]; then
    echo "passwords.sh: $variable is not set; every owner's database needs its password" >&2
    exit 1
  fi
  # Through psql's standard input (printf is the shell's own), never on a command line; :'password'
  # quotes it as an SQL literal.
  printf '\\set password %s\nALTER ROLE %s PASSWORD :'"'"'password'"'"';\n' "$password" "$owner" |
    psql -v ON_ERROR_STOP=1 -q --username "${POSTGRES_USER:-postgres}" --dbname postgres || exit 1
done

-- A copy of deploy/postgres/init.sql for the trial's PostgreSQL StatefulSet (kustomize reads no
-- file outside the overlay; tests/unit/test_k8s_manifests.py checks both are the same).
-- Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d), before
-- passwords.sh: one database per owner (the five services and the gateway's identity store), each owned by
-- a login role of the same name that is no superuser and that no other role may connect to (the superuser
-- of POSTGRES_USER only creates them). Each owner migrates its own database (`python -m services.common.migrate`)
-- with its own role, so its tables are its own. Passwords: passwords.sh, from <OWNER>_DB_PASSWORD.
-- Keep in step with services.common.migrate.OWNERS (tests/unit/test_compose.py checks it).
CREATE ROLE crm LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE crm OWNER crm;
REVOKE ALL ON DATABASE crm FROM PUBLIC;
CREATE ROLE sales LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE sales OWNER sales;
REVOKE ALL ON DATABASE sales FROM PUBLIC;
CREATE ROLE workshop LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE workshop OWNER workshop;
REVOKE ALL ON DATABASE workshop FROM PUBLIC;
CREATE ROLE inventory LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE inventory OWNER inventory;
REVOKE ALL ON DATABASE inventory FROM PUBLIC;
CREATE ROLE finance LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE finance OWNER finance;
REVOKE ALL ON DATABASE finance FROM PUBLIC;
CREATE ROLE gateway LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE gateway OWNER gateway;
REVOKE ALL ON DATABASE gateway FROM PUBLIC;

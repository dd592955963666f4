-- A copy of deploy/postgres/init.sql for the trial's PostgreSQL StatefulSet (kustomize reads no
-- file outside the overlay; tests/unit/test_k8s_manifests.py checks both create the same databases).
-- Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d):
-- one database per owner (the five services and the gateway's identity store), each
-- migrated by `python -m services.common.migrate`. Keep in step with
-- services.common.migrate.OWNERS (tests/unit/test_compose.py checks it).
CREATE DATABASE crm;
CREATE DATABASE sales;
CREATE DATABASE workshop;
CREATE DATABASE inventory;
CREATE DATABASE finance;
CREATE DATABASE gateway;

-- Why this exists: each service owns its own database (pokmas, enrolment, notifications,
-- insights, employment),
-- as the local stack creates them; docker-compose.yml mounts this file into the postgres
-- image's /docker-entrypoint-initdb.d, which runs it once, when the data volume is empty.
-- The services create their own tables (services/<name>/migrations) at start-up.
CREATE DATABASE pokmas;
CREATE DATABASE enrolment;
CREATE DATABASE notifications;
CREATE DATABASE insights;
CREATE DATABASE employment;

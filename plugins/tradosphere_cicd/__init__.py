"""TradoSphere CI/CD: the guide's pipeline as Airflow DAGs of Docker jobs."""

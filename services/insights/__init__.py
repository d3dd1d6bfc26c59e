"""The insights service: the programme's figures, from the national level to one Pokmas."""

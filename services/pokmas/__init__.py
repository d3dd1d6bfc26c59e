"""The pokmas service: the Pokmas registry, MoU life cycle and training programmes."""

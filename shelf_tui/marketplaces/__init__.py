"""marketplaces"""

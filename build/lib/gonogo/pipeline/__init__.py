"""Stage II: the steps from data to a registered model, and the gates between them."""

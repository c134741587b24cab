"""Reading tables, binding them to a problem (roles, derived groups), and splitting them."""

"""The staff pages under /users/: views, their forms, the list parameters."""

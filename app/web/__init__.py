"""Public HTML pages, kept apart from the JSON API: a gig's page with its sign-up form
(`/g/{id}`), a sign-up's own page (`/s/{id}`), the privacy text, one stylesheet."""

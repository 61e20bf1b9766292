// config.js — where the dashboard finds the API. Empty: the origin that serves the dashboard
// (the Worker serves both). For the dashboard deployed on its own origin (Pages), write this
// file at deploy time: `npm run dashboard:config -- --api https://<your-worker>` — and put
// the dashboard's origin into the Worker's DASHBOARD_ORIGINS (wrangler.toml) so CORS allows it.

/** Where this dashboard finds the API: its origin (`https://<worker>`), or "" for the origin that serves the page. */
export const API_BASE = "";

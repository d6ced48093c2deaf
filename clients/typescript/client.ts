/**
 * A small typed client for the Klusmakelaar API, on openapi-fetch.
 *
 * `schema.d.ts` is generated from the service's `/openapi.json`:
 *   npx openapi-typescript openapi.json -o schema.d.ts
 * Every call below is checked against it by `tsc --strict`: paths, parameters, bodies,
 * the success and error bodies, and the response headers that are read.
 */
import createClient from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type Gig = components["schemas"]["GigRead"];
export type Signup = components["schemas"]["SignupRead"];
export type Problem = components["schemas"]["Problem"];
export type NewVolunteer = components["schemas"]["VolunteerCreate"];
export type Volunteer = components["schemas"]["VolunteerCreated"];

export type Client = ReturnType<typeof createClient<paths>>;

/** A client for `baseUrl`; with a token (an API key or a volunteer's), every call sends it. */
export function klusmakelaar(baseUrl: string, token?: string): Client {
  return createClient<paths>({
    baseUrl,
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });
}

// Response headers as the document declares them, per operation and status: a header it
// does not declare there is a compile error, and its value has the declared type.
type Responses<Op> = Op extends { responses: infer R } ? R : never;
type DeclaredHeaders<Op, Status extends keyof Responses<Op>> = Responses<Op>[Status] extends {
  headers: infer H;
}
  ? { [K in keyof H as string extends K ? never : K]-?: Exclude<H[K], undefined> }
  : never;

/** The response headers ``Op`` declares for ``Status``, typed. */
export function headersOf<Op, Status extends keyof Responses<Op>>(response: Response) {
  return {
    get<K extends keyof DeclaredHeaders<Op, Status> & string>(
      name: K,
    ): DeclaredHeaders<Op, Status>[K] | undefined {
      const value = response.headers.get(name);
      return value === null ? undefined : (value as DeclaredHeaders<Op, Status>[K]);
    },
  };
}

/** An answer other than success: the problem details, or the HTTP server's plain text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    readonly retryAfterSeconds?: number,
  ) {
    super(problem === undefined ? `HTTP ${status}` : `${problem.type}: ${problem.detail}`);
  }

  /** The stable problem type (`gig-full`, `rate-limited`, ...), if the body had one. */
  get type(): string | undefined {
    return this.problem?.type;
  }
}

function failure(error: Problem | string, response: Response, retryAfter?: string): ApiError {
  const seconds = retryAfter === undefined ? undefined : Number(retryAfter);
  return new ApiError(response.status, typeof error === "string" ? undefined : error, seconds);
}

type Page<T> = { items: T[]; next_cursor: string | null };

/** Every page of a list, up to ``max`` items: ``page`` reads the one after ``cursor``. */
async function collect<T>(
  page: (cursor: string | null, limit: number) => Promise<Page<T>>,
  max: number,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const next = await page(cursor, Math.min(max - items.length, 200));
    items.push(...next.items);
    cursor = next.next_cursor;
  } while (cursor !== null && items.length < max);
  return items;
}

/** Open gigs with spots left within ``radiusKm`` of a point, nearest first, up to ``max``. */
export async function gigsNear(
  client: Client,
  point: { lat: number; lon: number },
  radiusKm: number,
  max = 200,
): Promise<Gig[]> {
  return collect(async (cursor, limit) => {
    const { data, error, response } = await client.GET("/api/v1/gigs", {
      params: {
        query: {
          near: `${point.lat},${point.lon}`,
          radius_km: radiusKm,
          sort: "distance",
          has_spots: true,
          limit,
          cursor,
        },
      },
    });
    if (error !== undefined) {
      const retryAfter =
        response.status === 503
          ? headersOf<operations["listGigs"], 503>(response).get("Retry-After")
          : undefined;
      throw failure(error, response, retryAfter);
    }
    return data;
  }, max);
}

/** One gig and its ETag (send it as `If-Match` to change the gig safely). */
export async function getGig(client: Client, gigId: string): Promise<{ gig: Gig; etag: string }> {
  const { data, error, response } = await client.GET("/api/v1/gigs/{gig_id}", {
    params: { path: { gig_id: gigId } },
  });
  if (error !== undefined) throw failure(error, response);
  const etag = headersOf<operations["getGig"], 200>(response).get("ETag");
  if (etag === undefined) throw new Error("The API sent a gig without its ETag.");
  return { gig: data, etag };
}

/**
 * Register a volunteer (anonymous): the profile, its address and the access token, shown
 * this once. Fields with a default (`needs_guidance`, `languages`, ...) may be left out.
 */
export async function registerVolunteer(
  client: Client,
  volunteer: NewVolunteer,
  idempotencyKey: string = crypto.randomUUID(),
): Promise<{ volunteer: Volunteer; location: string; token: string }> {
  const { data, error, response } = await client.POST("/api/v1/volunteers", {
    params: { header: { "Idempotency-Key": idempotencyKey } },
    body: volunteer,
  });
  if (error !== undefined) {
    // Rate limited (429) or the database away (503): the server says how long to wait.
    const retryAfter =
      response.status === 429
        ? headersOf<operations["registerVolunteer"], 429>(response).get("Retry-After")
        : undefined;
    throw failure(error, response, retryAfter);
  }
  const location = headersOf<operations["registerVolunteer"], 201>(response).get("Location");
  if (data.access_token === null || location === undefined) {
    // A replay of an earlier registration does not show the token again.
    throw new Error("Registered before with this Idempotency-Key: the token was shown then.");
  }
  return { volunteer: data, location, token: data.access_token };
}

export type SignupOutcome =
  | { signedUp: true; signup: Signup; location: string; replayed: boolean }
  | { signedUp: false; reason: string; detail: string };

/** Sign a volunteer up for a one-off gig, with the volunteer's own token. */
export async function signUp(
  client: Client,
  gigId: string,
  volunteerId: string,
  options: { waitlist?: boolean; idempotencyKey?: string } = {},
): Promise<SignupOutcome> {
  const { data, error, response } = await client.POST("/api/v1/gigs/{gig_id}/signups", {
    params: {
      path: { gig_id: gigId },
      header: { "Idempotency-Key": options.idempotencyKey ?? crypto.randomUUID() },
    },
    // `waitlist` has a default (true): left out unless asked for.
    body:
      options.waitlist === undefined
        ? { volunteer_id: volunteerId }
        : { volunteer_id: volunteerId, waitlist: options.waitlist },
  });
  if (error !== undefined) {
    if (response.status === 409 && typeof error !== "string") {
      // gig-full, already-signed-up, time-conflict, gig-not-open, signup-closed: an
      // answer, not a fault; a retry while the first still runs says when to ask again.
      const retryAfter = headersOf<operations["createSignup"], 409>(response).get("Retry-After");
      if (retryAfter === undefined) {
        return { signedUp: false, reason: error.type, detail: error.detail };
      }
      throw failure(error, response, retryAfter);
    }
    throw failure(error, response);
  }
  const headers = headersOf<operations["createSignup"], 201>(response);
  const location = headers.get("Location");
  if (location === undefined) throw new Error("The API sent a sign-up without its Location.");
  return { signedUp: true, signup: data, location, replayed: headers.get("Idempotent-Replayed") === "true" };
}

/** The calling volunteer's sign-ups (their own token), every page. */
export async function mySignups(client: Client): Promise<Signup[]> {
  const me = await client.GET("/api/v1/volunteers/me");
  if (me.error !== undefined) throw failure(me.error, me.response);
  const volunteerId = me.data.id;
  return collect(async (cursor, limit) => {
    const { data, error, response } = await client.GET("/api/v1/volunteers/{volunteer_id}/signups", {
      params: { path: { volunteer_id: volunteerId }, query: { cursor, limit } },
    });
    if (error !== undefined) throw failure(error, response);
    return data;
  }, Number.POSITIVE_INFINITY);
}

/** From registration to a sign-up near the Grote Markt, and the volunteer's own list. */
export async function example(baseUrl: string): Promise<Signup[]> {
  const anonymous = klusmakelaar(baseUrl);
  const nearby = await gigsNear(anonymous, { lat: 53.2194, lon: 6.5665 }, 5, 20);
  const { volunteer, token } = await registerVolunteer(anonymous, {
    name: "Sanne de Vries",
    email: "sanne@example.org",
    consent: true,
  });
  const asVolunteer = klusmakelaar(baseUrl, token);
  for (const gig of nearby.filter((gig) => gig.kind === "one_off")) {
    const outcome = await signUp(asVolunteer, gig.id, volunteer.id);
    if (outcome.signedUp) break;
    if (outcome.reason !== "time-conflict" && outcome.reason !== "gig-full") break;
  }
  return mySignups(asVolunteer);
}

// zod, configured once for every schema in the project (import `z` from here, not from "zod").
// Jitless: zod's JIT compiles object parsers with `new Function`, and before that it probes
// whether eval is allowed. Under the page's Content-Security-Policy (no 'unsafe-eval') the
// probe is refused and, though zod catches the error, the browser still reports a CSP
// violation. Our schemas are small; interpreting them costs nothing that shows.
import { z } from "zod";

z.config({ jitless: true });

export { z };

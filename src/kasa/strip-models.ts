/**
 * How many outlets a power strip can have. A strip is read with one request per outlet (an
 * IOT strip's emeter with `context.child_ids`, a SMART strip's `control_child`), so the number of
 * children a reply claims is bounded before anything is asked: a firmware fault, or something
 * that is not a TP-Link strip, claiming 1200 children must not cost 1200 requests a tick.
 *
 * The counts are those of python-kasa's device captures (`tests/fixtures/iot/` and
 * `tests/fixtures/smart/`: `child_num` and `children[]`, or `get_child_device_list`): HS107,
 * KP200, KP400 and EP40 have 2 outlets, KP303 has 3, HS300 has 6; the SMART EP40M has 2, P304M
 * 4 and P316M 6. A model not listed may have up to {@link UNKNOWN_STRIP_OUTLETS}, as many as
 * `devices[].outlets` can name.
 */

/** Outlets of the strips known, by model without its region (`HS300(US)` → `HS300`). */
export const STRIP_OUTLETS: Readonly<Record<string, number>> = {
  HS107: 2,
  KP200: 2,
  KP400: 2,
  EP40: 2,
  KP303: 3,
  HS300: 6,
  EP40M: 2,
  P304M: 4,
  P316M: 6,
};

/** Outlets a strip of a model not in {@link STRIP_OUTLETS} may have. */
export const UNKNOWN_STRIP_OUTLETS = 16;

/**
 * The most outlets a strip of `model` can have.
 * @param model sysinfo `model` (`HS300(US)`) or SMART `model` (`P304M`); absent: unknown
 * @returns the limit, and whether the model is known
 */
export function outletLimit(model: string | undefined): { max: number; known: boolean } {
  const bare = (model ?? '').replace(/\(.*$/, '').trim().toUpperCase();
  const max = STRIP_OUTLETS[bare];
  return max === undefined ? { max: UNKNOWN_STRIP_OUTLETS, known: false } : { max, known: true };
}

/**
 * Why a strip's claimed outlet count is refused, or undefined when it is plausible.
 * @param model the strip's model, as it reports it
 * @param count the children it claims
 * @returns e.g. `HS300(US) reports 1200 outlets; a real HS300 has 6: …`
 */
export function tooManyOutlets(model: string | undefined, count: number): string | undefined {
  const { max, known } = outletLimit(model);
  if (count <= max) return undefined;
  const name = model ?? 'a strip of unknown model';
  const real = known
    ? `a real ${(model ?? '').replace(/\(.*$/, '')} has ${max}`
    : `no strip known has more than ${max}`;
  return `${name} reports ${count} outlets; ${real}: not polled (a firmware fault, or not a TP-Link strip; one request per outlet would follow)`;
}

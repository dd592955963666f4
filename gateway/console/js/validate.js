// As-you-type checks mirroring services/common/validators.py; the server stays the judge.
const PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
const LETTER = "A-HJ-NP-Z";
const ALNUM = "A-HJ-NP-Z0-9";
const PLATES = [
  new RegExp(`^[${PROVINCES}][${LETTER}][DFA-HJK][${ALNUM}][0-9]{4}$`),
  new RegExp(`^[${PROVINCES}][${LETTER}][0-9]{5}[DF]$`),
  new RegExp(`^[${PROVINCES}][${LETTER}][${ALNUM}]{4}[${ALNUM}挂学警港澳领试超]$`),
];
const VIN_VALUES = Object.fromEntries([
  ..."0123456789".split("").map((d) => [d, Number(d)]),
  ..."ABCDEFGH".split("").map((c, i) => [c, i + 1]),
  ..."JKLMN".split("").map((c, i) => [c, i + 1]), ["P", 7], ["R", 9],
  ..."STUVWXYZ".split("").map((c, i) => [c, i + 2]),
]);
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

export const normalizePlate = (raw) => raw.replace(/[\s·\-•.]/g, "").toUpperCase();

/** An error key for i18n, or null when the value is fine. */
export function plateProblem(raw) {
  const plate = normalizePlate(raw);
  return PLATES.some((p) => p.test(plate)) ? null : "plate_invalid";
}

export function vinProblem(raw) {
  const vin = raw.replace(/\s/g, "").toUpperCase();
  if (!vin) return null; // optional
  if (vin.length !== 17) return "vin_length";
  if ([...vin].some((ch) => !(ch in VIN_VALUES))) return "vin_chars";
  const total = [...vin].reduce((sum, ch, i) => sum + VIN_VALUES[ch] * VIN_WEIGHTS[i], 0);
  const expected = total % 11 === 10 ? "X" : String(total % 11);
  return vin[8] === expected ? null : "vin_check_digit";
}

export function mobileProblem(raw) {
  return /^1[3-9]\d{9}$/.test(raw.replace(/[\s\-()]/g, "").replace(/^(\+86|0086)/, "")) ? null : "mobile_invalid";
}

const CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The buyer's tax number (统一社会信用代码, GB 32100-2015): 18 characters, the last a check character. */
export function creditCodeProblem(raw) {
  const code = raw.replace(/\s/g, "").toUpperCase();
  if (!code) return null; // optional unless the fapiao is a special one (the server says so)
  if (!/^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$/.test(code)) return "credit_code_shape";
  const total = [...code.slice(0, 17)].reduce((sum, ch, i) => sum + CREDIT_ALPHABET.indexOf(ch) * CREDIT_WEIGHTS[i], 0);
  return CREDIT_ALPHABET[(31 - (total % 31)) % 31] === code[17] ? null : "credit_code_check";
}

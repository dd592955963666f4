// The cars the screens name (plate, make, model): each read once per page through the API and kept.
import { api } from "./api.js";

const known = new Map(); // vehicle id → a promise of the vehicle (null when it cannot be read)

export function vehicleOf(vehicleId) {
  if (!vehicleId) return Promise.resolve(null);
  if (!known.has(vehicleId)) known.set(vehicleId, api.get(`/v1/vehicles/${vehicleId}`).catch(() => null));
  return known.get(vehicleId);
}

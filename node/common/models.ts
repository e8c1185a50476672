/** Model naming: `Org/Name@commit:verity_hash`; workers are routed by the base name before '@'. */
export function baseModelName(model: string): string {
    const at = model.indexOf('@');
    return at >= 0 ? model.slice(0, at) : model;
}

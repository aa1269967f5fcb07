/**
 * How long one export window is.
 */
export class ExportPeriod {
  /** One export per log group per calendar day of the export time zone (23 or 25 hours on DST change days). */
  public static readonly DAILY = new ExportPeriod('P1D', 86_400);

  /** One export per log group per hour. Exports are serial: 24 times the work of DAILY. */
  public static readonly HOURLY = new ExportPeriod('PT1H', 3_600);

  private constructor(
    /** ISO 8601 name of the period: `P1D` or `PT1H`. */
    public readonly name: string,
    /** Nominal length in seconds. */
    public readonly seconds: number,
  ) {}
}

/**
 * A person's allergies as FHIR R4 `AllergyIntolerance` resources in a `collection` Bundle, so
 * another health app can import them (https://hl7.org/fhir/R4/allergyintolerance.html).
 *
 * What we hold and how it maps:
 * - every allergy we hold is one the person lives with: clinicalStatus `active`; they told us
 *   themselves, no clinician confirmed it: verificationStatus `unconfirmed`; type `allergy`,
 *   category `food` (the allergen list is the EU/FDA food allergens);
 * - severity MILD / MODERATE / SEVERE / LIFE_THREATENING: criticality `low` for mild and moderate,
 *   `high` for severe and life-threatening; the reaction's severity `mild` / `moderate` / `severe`
 *   (life-threatening is the most severe FHIR has);
 * - code: the allergen's name as text, with a SNOMED CT substance coding where we know the
 *   concept (Peanut - dietary, Cow's milk, Eggs (edible)); text only otherwise;
 * - the reaction notes, when there are any, are the reaction's manifestation (text); without notes
 *   there is no reaction element (manifestation is required in it);
 * - the patient is the person's account, a urn:uuid reference; recordedDate when they told us.
 */

export interface AllergyFacts {
  readonly id: string;
  readonly allergen_name: string;
  readonly severity: 'MILD' | 'MODERATE' | 'SEVERE' | 'LIFE_THREATENING';
  readonly notes: string | null;
  readonly diagnosed_date: string | null;
  readonly created_at: string;
}

const snomed = 'http://snomed.info/sct';

/** SNOMED CT substance concepts of allergens we can name with confidence; the rest go as text. */
export const allergenCodings: Readonly<Record<string, { code: string; display: string }>> = {
  Peanuts: { code: '256349002', display: 'Peanut - dietary (substance)' },
  Milk: { code: '3718001', display: "Cow's milk (substance)" },
  Eggs: { code: '102263004', display: 'Eggs (edible) (substance)' },
};

const criticality = {
  MILD: 'low',
  MODERATE: 'low',
  SEVERE: 'high',
  LIFE_THREATENING: 'high',
} as const;

const reactionSeverity = {
  MILD: 'mild',
  MODERATE: 'moderate',
  SEVERE: 'severe',
  LIFE_THREATENING: 'severe',
} as const;

const concept = (system: string, code: string, display: string) => ({
  coding: [{ system, code, display }],
});

export function allergyIntolerance(patientId: string, a: AllergyFacts) {
  const coding = allergenCodings[a.allergen_name];
  return {
    resourceType: 'AllergyIntolerance' as const,
    id: a.id,
    clinicalStatus: concept(
      'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
      'active',
      'Active',
    ),
    verificationStatus: concept(
      'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
      'unconfirmed',
      'Unconfirmed',
    ),
    type: 'allergy' as const,
    category: ['food' as const],
    criticality: criticality[a.severity],
    code: coding
      ? { coding: [{ system: snomed, code: coding.code, display: coding.display }], text: a.allergen_name }
      : { text: a.allergen_name },
    patient: { reference: `urn:uuid:${patientId}` },
    ...(a.diagnosed_date ? { onsetDateTime: a.diagnosed_date } : {}),
    recordedDate: a.created_at,
    ...(a.notes
      ? { reaction: [{ manifestation: [{ text: a.notes }], severity: reactionSeverity[a.severity] }] }
      : {}),
  };
}

export function allergyBundle(patientId: string, allergies: readonly AllergyFacts[]) {
  return {
    resourceType: 'Bundle' as const,
    type: 'collection' as const,
    timestamp: new Date().toISOString(),
    entry: allergies.map((a) => ({
      fullUrl: `urn:uuid:${a.id}`,
      resource: allergyIntolerance(patientId, a),
    })),
  };
}

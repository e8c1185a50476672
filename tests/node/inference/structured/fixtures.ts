/** Schemas and tools shared by the structured-output tests (engine, server, openai SDK). */

/** Nested object, enum, bounded array, anyOf with null, $defs/$ref: the strict subset in one schema. */
export const PET_SCHEMA = {
    type: 'object',
    properties: {
        name: { type: 'string' },
        age: { type: 'integer' },
        mood: { enum: ['happy', 'sad', 'sleepy'] },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
        owner: { anyOf: [{ $ref: '#/$defs/person' }, { type: 'null' }] },
    },
    required: ['name', 'age', 'mood', 'tags', 'owner'],
    additionalProperties: false,
    $defs: {
        person: {
            type: 'object',
            properties: { name: { type: 'string' }, height: { type: 'number' } },
            required: ['name', 'height'],
            additionalProperties: false,
        },
    },
};

export const WEATHER_TOOLS = [
    {
        type: 'function',
        function: {
            name: 'get_weather',
            parameters: {
                type: 'object',
                properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] }, days: { type: 'integer' } },
                required: ['city', 'unit'],
                additionalProperties: false,
            },
        },
    },
    {
        type: 'function',
        function: {
            name: 'get_time',
            parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'], additionalProperties: false },
        },
    },
    { type: 'function', function: { name: 'ping' } },
];

"""Real-looking chat messages with what the parser must read from them.

Shared by tests/integrations/test_message_parser.py and bench/bench_parse.py. Times are
local (Europe/Amsterdam) "YYYY-MM-DD HH:MM"; unless a case says otherwise, "now" is
Wednesday 2 June 2027, 09:00 in Groningen.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NOW = "2027-06-02 09:00"


@dataclass(frozen=True, slots=True)
class MessageCase:
    """One message and the fields the parser must find in it."""

    id: str
    text: str
    title: str | None
    start: str | None
    end: str | None
    postcode: str | None = None
    capacity: int | None = None
    language: str = "nl"
    complete: bool = True
    end_defaulted: bool = False
    now: str = DEFAULT_NOW


CONTRACT_EXAMPLE = (
    "Klus: Tuin opknappen bij buurthuis De Kroon\n"
    "Wanneer: zaterdag 14 juni 10:00-13:00\n"
    "Waar: Oosterpoort, 9724 AB\n"
    "Aantal: 4\n"
    "Wat: Onkruid wieden en een border aanleggen."
)

CASES: tuple[MessageCase, ...] = (
    MessageCase(
        "contract-example",
        CONTRACT_EXAMPLE,
        "Tuin opknappen bij buurthuis De Kroon",
        "2027-06-14 10:00",
        "2027-06-14 13:00",
        postcode="9724 AB",
        capacity=4,
    ),
    MessageCase(
        "contract-example-english",
        "Task: Fix up the community garden\nWhen: Saturday 5 June 10:00-13:00\n"
        "Where: Oosterpoort, 9724 AB\nPeople: 4\nWhat: Weeding and planting.",
        "Fix up the community garden",
        "2027-06-05 10:00",
        "2027-06-05 13:00",
        postcode="9724 AB",
        capacity=4,
        language="en",
    ),
    MessageCase(
        "keys-any-order-and-case",
        "WAAR: Vinkhuizen\nAANTAL: 2\nKLUS: Boodschappen doen voor mevrouw De Vries\n"
        "wanneer: 14-06-2027 14:00-16:00",
        "Boodschappen doen voor mevrouw De Vries",
        "2027-06-14 14:00",
        "2027-06-14 16:00",
        capacity=2,
    ),
    MessageCase(
        "date-slashes-van-tot-uur",
        "Klus: Fietsen repareren\nWanneer: 14/06/2027 van 10 tot 13 uur",
        "Fietsen repareren",
        "2027-06-14 10:00",
        "2027-06-14 13:00",
    ),
    MessageCase(
        "month-name-with-year-dotted-times",
        "Klus: Koffie schenken\nWanneer: 5 juni 2027, 10.00 - 13.00 uur",
        "Koffie schenken",
        "2027-06-05 10:00",
        "2027-06-05 13:00",
    ),
    MessageCase(
        "weekday-abbreviation-10-13u",
        "Klus: Flyers rondbrengen\nWanneer: za 5 juni 10-13u\nAantal: 3",
        "Flyers rondbrengen",
        "2027-06-05 10:00",
        "2027-06-05 13:00",
        capacity=3,
    ),
    MessageCase(
        "10u-13u",
        "Klus: Opruimen na het buurtfeest\nWanneer: zondag 6 juni 10u-13u",
        "Opruimen na het buurtfeest",
        "2027-06-06 10:00",
        "2027-06-06 13:00",
    ),
    MessageCase(
        "colon-times-with-tot",
        "Klus: Bingo begeleiden\nWanneer: 9 juni 14:00 tot 16:30",
        "Bingo begeleiden",
        "2027-06-09 14:00",
        "2027-06-09 16:30",
    ),
    MessageCase(
        "english-month-first-am-pm",
        "Task: Beach clean-up\nWhen: June 12, 10am-1pm\nPeople: 6 volunteers",
        "Beach clean-up",
        "2027-06-12 10:00",
        "2027-06-12 13:00",
        capacity=6,
        language="en",
    ),
    MessageCase(
        "english-from-to",
        "Task: Paint the fence\nWhen: Friday 4 June from 10 to 13\nWhere: Helpman",
        "Paint the fence",
        "2027-06-04 10:00",
        "2027-06-04 13:00",
        language="en",
    ),
    MessageCase(
        "morgen-om-10-uur",
        "Klus: Taart bakken voor de buurtlunch\nWanneer: morgen om 10 uur",
        "Taart bakken voor de buurtlunch",
        "2027-06-03 10:00",
        "2027-06-03 12:00",
        end_defaulted=True,
    ),
    MessageCase(
        "tomorrow-at-10",
        "Task: Walk the dogs of the shelter\nWhen: tomorrow at 10:00",
        "Walk the dogs of the shelter",
        "2027-06-03 10:00",
        "2027-06-03 12:00",
        language="en",
        end_defaulted=True,
    ),
    MessageCase(
        "single-colon-time",
        "Klus: Voorlezen in de bibliotheek\nWanneer: vrijdag 4 juni 10:00",
        "Voorlezen in de bibliotheek",
        "2027-06-04 10:00",
        "2027-06-04 12:00",
        end_defaulted=True,
    ),
    MessageCase(
        "weekday-alone",
        "Klus: Soep koken voor de inloop\nWanneer: zaterdag 11:00-14:00",
        "Soep koken voor de inloop",
        "2027-06-05 11:00",
        "2027-06-05 14:00",
    ),
    MessageCase(
        "weekday-alone-is-today",
        "Klus: Planten water geven\nWanneer: woensdag 18:00-19:00",
        "Planten water geven",
        "2027-06-02 18:00",
        "2027-06-02 19:00",
    ),
    MessageCase(
        "vandaag",
        "Klus: Stoelen klaarzetten\nWanneer: vandaag 15:00-16:00",
        "Stoelen klaarzetten",
        "2027-06-02 15:00",
        "2027-06-02 16:00",
    ),
    MessageCase(
        "today-pm",
        "Task: Set up the chairs\nWhen: today 3pm-5pm",
        "Set up the chairs",
        "2027-06-02 15:00",
        "2027-06-02 17:00",
        language="en",
    ),
    MessageCase(
        "overmorgen",
        "Klus: Kerkzaal schoonmaken\nWanneer: overmorgen 9:00-11:00",
        "Kerkzaal schoonmaken",
        "2027-06-04 09:00",
        "2027-06-04 11:00",
    ),
    MessageCase(
        "day-after-tomorrow",
        "Task: Sort donated clothes\nWhen: the day after tomorrow, 13:00-15:00",
        "Sort donated clothes",
        "2027-06-04 13:00",
        "2027-06-04 15:00",
        language="en",
    ),
    MessageCase(
        "passed-date-means-next-year",
        "Klus: Jaarmarkt helpen\nWanneer: 1 juni 10:00-16:00",
        "Jaarmarkt helpen",
        "2028-06-01 10:00",
        "2028-06-01 16:00",
    ),
    MessageCase(
        "today-date-counts",
        "Klus: Lunch serveren\nWanneer: 2 juni 12:00-13:30",
        "Lunch serveren",
        "2027-06-02 12:00",
        "2027-06-02 13:30",
    ),
    MessageCase(
        "abbreviation-mrt",
        "Klus: Lentefeest voorbereiden\nWanneer: 20 mrt 10:00-12:00",
        "Lentefeest voorbereiden",
        "2028-03-20 10:00",
        "2028-03-20 12:00",
    ),
    MessageCase(
        "abbreviation-okt-with-year",
        "Klus: Herfstwandeling begeleiden\nWanneer: 12 okt 2027 13:00-15:00",
        "Herfstwandeling begeleiden",
        "2027-10-12 13:00",
        "2027-10-12 15:00",
    ),
    MessageCase(
        "english-march-with-year",
        "Task: Spring market stall\nWhen: March 27, 2028 10:00-12:00",
        "Spring market stall",
        "2028-03-27 10:00",
        "2028-03-27 12:00",
        language="en",
    ),
    MessageCase(
        "mei",
        "Klus: Bevrijdingsfestival opbouwen\nWanneer: 5 mei 2028 08:00-12:00\nAantal: 10",
        "Bevrijdingsfestival opbouwen",
        "2028-05-05 08:00",
        "2028-05-05 12:00",
        capacity=10,
    ),
    MessageCase(
        "keyless-dutch",
        "Tuin opknappen bij De Kroon\nZaterdag 5 juni van 10 tot 13 uur in de Oosterpoort "
        "(9724 ab).\nWe zoeken 4 vrijwilligers!",
        "Tuin opknappen bij De Kroon",
        "2027-06-05 10:00",
        "2027-06-05 13:00",
        postcode="9724 AB",
        capacity=4,
    ),
    MessageCase(
        "keyless-english",
        "Help needed moving furniture\nTomorrow 10am-1pm, 3 volunteers, 9711AA",
        "Help needed moving furniture",
        "2027-06-03 10:00",
        "2027-06-03 13:00",
        postcode="9711 AA",
        capacity=3,
        language="en",
    ),
    MessageCase(
        "keyless-one-line",
        "Boodschappen doen zaterdag 5 juni om 14:00",
        "Boodschappen doen",
        "2027-06-05 14:00",
        "2027-06-05 16:00",
        end_defaulted=True,
    ),
    MessageCase(
        "emoji-and-whatsapp-markup",
        "🌻 *Klus:* _Bloembakken vullen_ 🌻\n📅 *Wanneer:* vrijdag 4 juni 10:00-12:00\n"
        "📍 *Waar:* Selwerd 9741AB\n👥 *Aantal:* 5️⃣",
        "Bloembakken vullen",
        "2027-06-04 10:00",
        "2027-06-04 12:00",
        postcode="9741 AB",
        capacity=5,
    ),
    MessageCase(
        "blank-lines-crlf-trailing-spaces",
        "Klus: Lampionnen maken  \r\n\r\n\r\nWanneer: 11 juni 19:00-21:00  \r\n\r\nAantal: 8  \r\n",
        "Lampionnen maken",
        "2027-06-11 19:00",
        "2027-06-11 21:00",
        capacity=8,
    ),
    MessageCase(
        "typos-in-dutch-keys",
        "Klsu: Hekwerk schilderen\nWanner: 14 juni 10:00-13:00\nAantl: 3",
        "Hekwerk schilderen",
        "2027-06-14 10:00",
        "2027-06-14 13:00",
        capacity=3,
    ),
    MessageCase(
        "typos-in-english-keys",
        "Tsak: Clean the playground\nWhne: 5 June 9:00-11:00\nPeple: 2",
        "Clean the playground",
        "2027-06-05 09:00",
        "2027-06-05 11:00",
        capacity=2,
        language="en",
    ),
    MessageCase(
        "forwarded-dutch",
        "Doorgestuurd\nKlus: Rolstoelduwen in het Noorderplantsoen\nWanneer: 9 juni 14:00-16:00",
        "Rolstoelduwen in het Noorderplantsoen",
        "2027-06-09 14:00",
        "2027-06-09 16:00",
    ),
    MessageCase(
        "forwarded-english",
        "---------- Forwarded message ----------\nTask: Drive elderly to the market\n"
        "When: Thursday 10 June 9:30-11:30",
        "Drive elderly to the market",
        "2027-06-10 09:30",
        "2027-06-10 11:30",
        language="en",
    ),
    MessageCase(
        "chat-export-prefix",
        "[02-06 10:12] Anna de Vries: Klus: Kleding sorteren\n"
        "[02-06 10:12] Anna de Vries: Wanneer: 14 juni 10:00-12:00\n"
        "[02-06 10:13] Anna de Vries: Waar: 9725 AB",
        "Kleding sorteren",
        "2027-06-14 10:00",
        "2027-06-14 12:00",
        postcode="9725 AB",
    ),
    MessageCase(
        "android-export-prefix-keyless",
        "02-06-2027 10:12 - Piet: Hulp bij verhuizing\n"
        "02-06-2027 10:12 - Piet: morgen van 9 tot 12 uur\n"
        "02-06-2027 10:13 - Piet: 2 personen",
        "Hulp bij verhuizing",
        "2027-06-03 09:00",
        "2027-06-03 12:00",
        capacity=2,
    ),
    MessageCase(
        "draft-without-date",
        "Klus: Zwerfvuil prikken\nWanneer: 10:00-12:00",
        "Zwerfvuil prikken",
        None,
        None,
        complete=False,
    ),
    MessageCase(
        "draft-without-time",
        "Klus: Zwerfvuil prikken\nWanneer: zaterdag 5 juni",
        "Zwerfvuil prikken",
        None,
        None,
        complete=False,
    ),
    MessageCase(
        "draft-without-title",
        "Wanneer: 5 juni 10:00-12:00\nAantal: 2",
        None,
        "2027-06-05 10:00",
        "2027-06-05 12:00",
        capacity=2,
        complete=False,
    ),
    MessageCase(
        "draft-title-too-short",
        "Klus: Ok\nWanneer: 5 juni 10:00-12:00",
        None,
        "2027-06-05 10:00",
        "2027-06-05 12:00",
        complete=False,
    ),
    MessageCase(
        "draft-greeting-only",
        "Hoi allemaal!",
        None,
        None,
        None,
        complete=False,
    ),
    MessageCase(
        "dst-spring-forward-day",
        "Klus: Paaseieren verstoppen\nWanneer: zondag 28 maart 10:00-12:00",
        "Paaseieren verstoppen",
        "2027-03-28 10:00",
        "2027-03-28 12:00",
        now="2027-03-20 09:00",
    ),
    MessageCase(
        "dst-fall-back-day",
        "Klus: Herfstmarkt opbouwen\nWanneer: 31 oktober 2027 10:00-12:00",
        "Herfstmarkt opbouwen",
        "2027-10-31 10:00",
        "2027-10-31 12:00",
    ),
    MessageCase(
        "year-rollover-dutch",
        "Klus: Nieuwjaarsduik begeleiden\nWanneer: 14 januari 11:00-13:00",
        "Nieuwjaarsduik begeleiden",
        "2028-01-14 11:00",
        "2028-01-14 13:00",
        now="2027-12-20 09:00",
    ),
    MessageCase(
        "year-rollover-english",
        "Task: New year's dive safety watch\nWhen: January 1st, 12:00-14:00",
        "New year's dive safety watch",
        "2028-01-01 12:00",
        "2028-01-01 14:00",
        language="en",
        now="2027-12-20 09:00",
    ),
    MessageCase(
        "date-and-time-keys-with-address",
        "Klus: Ramen wassen\nDatum: 14-06-2027\nTijd: 10:00 - 12:00\n"
        "Adres: Oosterstraat 5, 9711 NR Groningen",
        "Ramen wassen",
        "2027-06-14 10:00",
        "2027-06-14 12:00",
        postcode="9711 NR",
    ),
    MessageCase(
        "iso-date-key",
        "Task: Fix bikes for refugees\nDate: 2027-06-14\nTime: 10:00-12:00",
        "Fix bikes for refugees",
        "2027-06-14 10:00",
        "2027-06-14 12:00",
        language="en",
    ),
    MessageCase(
        "english-weekday-alone-pm",
        "Task: Read to the children\nWhen: Saturday 2pm-4pm",
        "Read to the children",
        "2027-06-05 14:00",
        "2027-06-05 16:00",
        language="en",
    ),
    MessageCase(
        "volunteers-anywhere-english",
        "Task: Paint the benches\nWhen: 5 June 10:00-12:00\nWe need 5 volunteers, thanks!",
        "Paint the benches",
        "2027-06-05 10:00",
        "2027-06-05 12:00",
        capacity=5,
        language="en",
    ),
    MessageCase(
        "capacity-range",
        "Klus: Pakketten inpakken\nWanneer: 14 juni 13:00-17:00\nAantal: 4-6 personen",
        "Pakketten inpakken",
        "2027-06-14 13:00",
        "2027-06-14 17:00",
        capacity=6,
    ),
    MessageCase(
        "overnight",
        "Klus: Nachtwandeling begeleiden\nWanneer: 5 juni 22:00-02:00",
        "Nachtwandeling begeleiden",
        "2027-06-05 22:00",
        "2027-06-06 02:00",
    ),
    MessageCase(
        "two-digit-year",
        "Klus: Bankjes schuren\nWanneer: 14-06-27 10:00-12:00",
        "Bankjes schuren",
        "2027-06-14 10:00",
        "2027-06-14 12:00",
    ),
    MessageCase(
        "tussen-en-uur",
        "Klus: Buurtkamer openen\nWanneer: dinsdag tussen 10 en 12 uur",
        "Buurtkamer openen",
        "2027-06-08 10:00",
        "2027-06-08 12:00",
    ),
    MessageCase(
        "afternoon-single-digits",
        "Klus: Spelletjesmiddag\nWanneer: donderdag 3 juni van 2 tot 5",
        "Spelletjesmiddag",
        "2027-06-03 14:00",
        "2027-06-03 17:00",
    ),
    MessageCase(
        "weekday-part-of-day",
        "Klus: Markt opbouwen\nWanneer: zaterdagochtend 8:00-10:00",
        "Markt opbouwen",
        "2027-06-05 08:00",
        "2027-06-05 10:00",
    ),
    MessageCase(
        "greeting-then-keys",
        "Hoi allemaal!\n\nVoor de buurtlunch zoeken we 3 vrijwilligers.\n"
        "Klus: Buurtlunch koken\nWanneer: 9 juni 11:00-14:00",
        "Buurtlunch koken",
        "2027-06-09 11:00",
        "2027-06-09 14:00",
        capacity=3,
    ),
    MessageCase(
        "free-title-then-keys",
        "Voedselbank sorteren\nWanneer: 14 juni 9:00-12:00\nWaar: Paddepoel, 9742 AB",
        "Voedselbank sorteren",
        "2027-06-14 09:00",
        "2027-06-14 12:00",
        postcode="9742 AB",
    ),
    MessageCase(
        "morgenmiddag-om-3-uur",
        "Klus: Bloemen bezorgen\nWanneer: morgenmiddag om 3 uur",
        "Bloemen bezorgen",
        "2027-06-03 15:00",
        "2027-06-03 17:00",
        end_defaulted=True,
    ),
    MessageCase(
        "ordinal-english-day-month",
        "Task: Carry boxes for the food bank\nWhen: Monday the 14th of June, 9:00 to 12:00",
        "Carry boxes for the food bank",
        "2027-06-14 09:00",
        "2027-06-14 12:00",
        language="en",
    ),
    MessageCase(
        "bulleted-keys",
        "• Klus: Kinderdisco begeleiden\n• Wanneer: vrijdag 11 juni 18:30-21:00\n"
        "• Aantal: 2 vrijwilligers",
        "Kinderdisco begeleiden",
        "2027-06-11 18:30",
        "2027-06-11 21:00",
        capacity=2,
    ),
    MessageCase(
        "keyless-one-line-date-first",
        "Zaterdag 5 juni: tuin opknappen, 10-13u 🌱",
        "Tuin opknappen",
        "2027-06-05 10:00",
        "2027-06-05 13:00",
    ),
    MessageCase(
        "keyless-english-free-text",
        "Hulp gezocht? No: help wanted at the Christmas market on 18 December from 16:00 "
        "to 20:00, 9711 AB, 6 volunteers",
        "Hulp gezocht? No: help wanted at the Christmas market",
        "2027-12-18 16:00",
        "2027-12-18 20:00",
        postcode="9711 AB",
        capacity=6,
        language="en",
    ),
)

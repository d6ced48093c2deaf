"""Every word on the public pages, in Dutch and English: short, warm, and what to do next.

Templates reach them as `t.<key>`; a `{name}` in a text is filled in by the template
(`t.spots_left.format(...)`). Both languages have the same keys (a test checks).
"""

from __future__ import annotations

from typing import Final

from app.integrations.message_vocabulary import Language

TEXTS: Final[dict[Language, dict[str, str]]] = {
    "nl": {
        "site": "Klusmakelaar Groningen",
        "tagline": "Vrijwilligerswerk in Groningen, klus voor klus.",
        "skip": "Naar de inhoud",
        "other_language": "English",
        "other_language_code": "en",
        "other_language_name": "Read this page in English",
        "by": "Een klus van {organization}",
        "task": "Klus",
        "when": "Wanneer",
        "where": "Waar",
        "spots": "Plekken",
        "online": "Online",
        "spots_left_one": "Nog 1 plek vrij",
        "spots_left": "Nog {spots} plekken vrij",
        "spots_of": "(van de {capacity})",
        "full": "Vol: je kunt op de wachtlijst",
        "waitlist_count": "{count} op de wachtlijst",
        "accessible": "Zonder drempels te bereiken",
        "guidance": "Begeleiding aanwezig: je staat er niet alleen voor",
        "about": "Over de klus",
        "form_title": "Meld je aan",
        "form_title_waitlist": "Zet me op de wachtlijst",
        "form_intro": "Alleen je naam en hoe we je kunnen bereiken. Je krijgt een bevestiging "
        "met een link om je af te melden.",
        "form_intro_waitlist": "De klus is vol. Op de wachtlijst krijg je meteen bericht als "
        "er een plek vrijkomt.",
        "name_label": "Je naam",
        "contact_label": "Telefoonnummer of e-mailadres",
        "contact_hint": "Bijvoorbeeld 06 12345678 of naam@voorbeeld.nl. Hierop krijg je je "
        "bevestiging.",
        "consent_label": "Klusmakelaar mag mijn naam en contactgegevens bewaren om mij over "
        "deze klus te berichten.",
        "privacy_link": "Lees wat we bewaren en hoe je het laat wissen",
        "submit": "Aanmelden",
        "submit_waitlist": "Op de wachtlijst",
        "errors_title": "Nog niet gelukt. Kijk even naar:",
        "name_missing": "Vul je naam in.",
        "name_too_long": "Je naam mag hoogstens 200 tekens lang zijn.",
        "name_invalid": "Je naam bevat een teken dat we niet kunnen bewaren. Typ hem "
        "opnieuw, alleen met letters.",
        "contact_missing": "Vul je telefoonnummer of e-mailadres in.",
        "contact_invalid": "Dit herkennen we niet als telefoonnummer of e-mailadres. "
        "Bijvoorbeeld: 06 12345678 of naam@voorbeeld.nl.",
        "consent_missing": "Vink dit aan, anders kunnen we je niet aanmelden.",
        "form_expired": "Deze pagina stond te lang open, of je browser bewaart geen cookies. "
        "We hebben hem vernieuwd: probeer het nog een keer.",
        "rate_limited": "Er zijn net veel aanmeldingen vanaf dit adres gedaan. Probeer het "
        "over {minutes} minuten nog een keer.",
        "rate_limited_one": "Er zijn net veel aanmeldingen vanaf dit adres gedaan. Probeer "
        "het over een minuut nog een keer.",
        "error_prefix": "Let op:",
        "state_cancelled": "Deze klus gaat helaas niet door.",
        "state_past": "Deze klus is al voorbij. Dank aan iedereen die heeft geholpen!",
        "state_started": "Deze klus is al begonnen, dus aanmelden kan niet meer.",
        "state_closed": "Aanmelden voor deze klus is gesloten.",
        "state_group": "Dit is een klus voor een groep, zoals een studentenvereniging. Je "
        "vereniging kan de groep aanmelden; vraag het je bestuur.",
        "nearby_title": "Misschien past een van deze klussen bij je",
        "nearby_none": "Er staan nu geen andere klussen open. Kijk later nog eens!",
        "known_title": "Kijk in je berichten",
        "known_sent": "We kennen {contact} al. We hebben je een bericht gestuurd met een "
        "link: tik erop om je aanmelding te bevestigen. Zo kan niemand anders jou aanmelden.",
        "known_unsendable": "We kennen {contact} al, maar we kunnen je nu geen bericht "
        "sturen. Gebruik de link in een eerder bericht van ons, of neem contact op met "
        "{organization}.",
        "back_to_gig": "Terug naar de klus",
        "checkin_title": "Inchecken",
        "checkin_heading": "Ben je er? Check hier in",
        "checkin_intro": "Vul het telefoonnummer of e-mailadres in waarmee je je hebt "
        "aangemeld, en de code die de organisatie laat zien.",
        "checkin_contact_hint": "Hetzelfde nummer of adres als bij je aanmelding, "
        "bijvoorbeeld 06 12345678.",
        "code_label": "Code",
        "code_hint": "Zes cijfers, bijvoorbeeld 123456. De code verandert elke vijf minuten.",
        "code_missing": "Vul de code in die de organisatie laat zien.",
        "code_wrong": "Deze code klopt niet (meer). Vraag de organisatie om de code van nu.",
        "checkin_not_found": "Met dit nummer of adres vinden we geen aanmelding voor deze "
        "klus. Gebruik het nummer of adres van je aanmelding, of meld je bij de organisatie.",
        "checkin_closed": "Inchecken kan vanaf een half uur voor de start tot het einde van de "
        "klus.",
        "checkin_submit": "Inchecken",
        "checkin_done_title": "Je bent ingecheckt",
        "checkin_done": "Welkom! Fijn dat je er bent voor {title}. Ga je weg? Laat het de "
        "organisatie weten: zij noteren je uren.",
        "confirm_title": "Bevestig je aanmelding",
        "confirm_intro": "Tik op de knop om je aan te melden voor deze klus.",
        "confirm_button": "Ja, meld me aan",
        "confirm_intro_waitlist": "De klus is nu vol. Tik op de knop om op de wachtlijst te "
        "komen: komt er een plek vrij, dan krijg je meteen bericht.",
        "confirm_button_waitlist": "Ja, zet me op de wachtlijst",
        "confirm_expired": "Deze link werkt niet meer. Meld je opnieuw aan op de pagina van "
        "de klus; je krijgt dan een nieuwe link.",
        "already_signed_up": "Je was al aangemeld voor deze klus. Tot dan!",
        "time_conflict": "Je bent op dat moment al aangemeld voor een andere klus. Meld je "
        "daar eerst af als je liever hier helpt.",
        "signup_confirmed": "Je bent aangemeld!",
        "signup_confirmed_text": "Dank je wel, {name}! {organization} rekent op je.",
        "signup_waitlisted": "Je staat op de wachtlijst",
        "signup_waitlisted_text": "Dank je wel, {name}! Je bent nummer {position} op de "
        "wachtlijst. Komt er een plek vrij, dan krijg je meteen bericht.",
        "signup_cancelled": "Je bent afgemeld",
        "signup_cancelled_text": "Dank je wel dat je het liet weten. Hopelijk tot een "
        "volgende keer!",
        "signup_past": "Deze klus is voorbij",
        "signup_past_text": "Dank je wel dat je je had aangemeld!",
        "signup_erased": "Deze aanmelding is van niemand meer",
        "signup_erased_text": "De gegevens van wie zich aanmeldde zijn gewist. Er is hier "
        "niets meer te doen.",
        "signup_attended": "Dank je wel voor je hulp!",
        "signup_attended_text": "Je was erbij. Zonder mensen zoals jij gebeurt het niet.",
        "keep_page": "Bewaar deze pagina: hier kun je je ook afmelden.",
        "cancel_title": "Kun je toch niet?",
        "cancel_text": "Meld je dan af: je plek gaat naar iemand anders.",
        "cancel_button": "Afmelden",
        "forget_title": "Je gegevens wissen",
        "forget_text": "We verwijderen dan voorgoed je naam en contactgegevens. Je "
        "aanmeldingen voor klussen die nog komen vervallen.",
        "forget_contact_label": "Ter controle: het telefoonnummer of e-mailadres waarmee je "
        "je aanmeldde",
        "forget_mismatch": "Dit is niet het telefoonnummer of e-mailadres van deze "
        "aanmelding. Kijk of je het goed hebt getypt.",
        "forget_button": "Wis mijn gegevens",
        "forgotten_title": "Je gegevens zijn gewist",
        "forgotten_text": "We hebben je naam en contactgegevens verwijderd. Dank je wel voor "
        "je hulp, en je bent altijd weer welkom!",
        "not_found_title": "Deze pagina bestaat niet (meer)",
        "not_found_text": "Kijk of de link klopt, of vraag de organisatie om de link opnieuw "
        "te sturen.",
        "error_title": "Er ging iets mis",
        "error_text": "Probeer het over een paar minuten nog een keer.",
        "privacy_title": "Wat we van je bewaren",
        "privacy_what": "Je naam, je telefoonnummer of e-mailadres, en voor welke klussen je "
        "je aanmeldt.",
        "privacy_why": "Om je aanmelding door te geven aan de organisatie van de klus en je "
        "berichten te sturen: een bevestiging, een wijziging, een herinnering, een bedankje. "
        "De organisatie ziet je naam, en tot de klus voorbij is ook hoe ze je kan bereiken. "
        "We verkopen of delen je gegevens nooit met anderen.",
        "privacy_how_long": "Zolang je ingeschreven staat. Als je je gegevens laat wissen, "
        "blijven alleen anonieme aantallen en uren over.",
        "privacy_forget": "Open de link in een van onze berichten over je aanmelding en kies "
        "‘Wis mijn gegevens’. Stuur je ons op WhatsApp STOP, dan krijg je geen berichten "
        "meer.",
        "privacy_what_title": "Wat",
        "privacy_why_title": "Waarom",
        "privacy_how_long_title": "Hoe lang",
        "privacy_forget_title": "Vergeten worden",
    },
    "en": {
        "site": "Klusmakelaar Groningen",
        "tagline": "Volunteering in Groningen, one task at a time.",
        "skip": "Skip to content",
        "other_language": "Nederlands",
        "other_language_code": "nl",
        "other_language_name": "Lees deze pagina in het Nederlands",
        "by": "A task of {organization}",
        "task": "Task",
        "when": "When",
        "where": "Where",
        "spots": "Spots",
        "online": "Online",
        "spots_left_one": "1 spot left",
        "spots_left": "{spots} spots left",
        "spots_of": "(of {capacity})",
        "full": "Full: you can join the waiting list",
        "waitlist_count": "{count} on the waiting list",
        "accessible": "Step-free access",
        "guidance": "Guidance on site: you won't be on your own",
        "about": "About the task",
        "form_title": "Sign up",
        "form_title_waitlist": "Put me on the waiting list",
        "form_intro": "Only your name and how we can reach you. You will get a confirmation "
        "with a link to cancel.",
        "form_intro_waitlist": "The task is full. On the waiting list, you hear from us as "
        "soon as a spot opens up.",
        "name_label": "Your name",
        "contact_label": "Phone number or e-mail address",
        "contact_hint": "For example 06 12345678 or name@example.com. Your confirmation goes here.",
        "consent_label": "Klusmakelaar may keep my name and contact details to send me "
        "messages about this task.",
        "privacy_link": "Read what we keep and how to have it erased",
        "submit": "Sign up",
        "submit_waitlist": "Join the waiting list",
        "errors_title": "Not done yet. Please check:",
        "name_missing": "Please fill in your name.",
        "name_too_long": "Your name can be at most 200 characters long.",
        "name_invalid": "Your name holds a character we cannot keep. Please type it again, "
        "with letters only.",
        "contact_missing": "Please fill in your phone number or e-mail address.",
        "contact_invalid": "We don't recognise this as a phone number or e-mail address. For "
        "example: 06 12345678 or name@example.com.",
        "consent_missing": "Please tick this box, or we cannot sign you up.",
        "form_expired": "This page was open for a long time, or your browser keeps no "
        "cookies. We have refreshed it: please try again.",
        "rate_limited": "Many sign-ups were just sent from this address. Please try again in "
        "{minutes} minutes.",
        "rate_limited_one": "Many sign-ups were just sent from this address. Please try "
        "again in a minute.",
        "error_prefix": "Please check:",
        "state_cancelled": "Unfortunately, this task has been cancelled.",
        "state_past": "This task is over. Thanks to everyone who helped!",
        "state_started": "This task has already started, so signing up is no longer possible.",
        "state_closed": "Sign-up for this task has closed.",
        "state_group": "This is a task for a group, such as a student association. Your "
        "association can sign the group up; ask your board.",
        "nearby_title": "One of these tasks may suit you",
        "nearby_none": "There are no other open tasks right now. Please look again later!",
        "known_title": "Check your messages",
        "known_sent": "We already know {contact}. We have sent you a message with a link: "
        "tap it to confirm your sign-up. That way, nobody else can sign you up.",
        "known_unsendable": "We already know {contact}, but we cannot send you a message "
        "right now. Use the link in an earlier message from us, or contact {organization}.",
        "back_to_gig": "Back to the task",
        "checkin_title": "Check in",
        "checkin_heading": "Have you arrived? Check in here",
        "checkin_intro": "Fill in the phone number or e-mail address you signed up with, and "
        "the code the organisation shows.",
        "checkin_contact_hint": "The same number or address as when you signed up, for "
        "example 06 12345678.",
        "code_label": "Code",
        "code_hint": "Six digits, for example 123456. The code changes every five minutes.",
        "code_missing": "Fill in the code the organisation shows.",
        "code_wrong": "This code is wrong or has expired. Ask the organisation for the "
        "current code.",
        "checkin_not_found": "We can't find a sign-up for this task with this number or "
        "address. Use the one you signed up with, or report to the organisation.",
        "checkin_closed": "You can check in from half an hour before the start until the end "
        "of the task.",
        "checkin_submit": "Check in",
        "checkin_done_title": "You're checked in",
        "checkin_done": "Welcome! Good to have you at {title}. Leaving? Let the organisation "
        "know: they record your hours.",
        "confirm_title": "Confirm your sign-up",
        "confirm_intro": "Tap the button to sign up for this task.",
        "confirm_button": "Yes, sign me up",
        "confirm_intro_waitlist": "The task is full now. Tap the button to join the waiting "
        "list: if a spot opens up, you will hear from us right away.",
        "confirm_button_waitlist": "Yes, put me on the waiting list",
        "confirm_expired": "This link no longer works. Sign up again on the task's page; "
        "you will get a new link.",
        "already_signed_up": "You were already signed up for this task. See you then!",
        "time_conflict": "You are already signed up for another task at that time. Cancel "
        "that one first if you would rather help here.",
        "signup_confirmed": "You are signed up!",
        "signup_confirmed_text": "Thank you, {name}! {organization} counts on you.",
        "signup_waitlisted": "You are on the waiting list",
        "signup_waitlisted_text": "Thank you, {name}! You are number {position} on the "
        "waiting list. If a spot opens up, you will hear from us right away.",
        "signup_cancelled": "You have cancelled",
        "signup_cancelled_text": "Thank you for letting us know. Hope to see you another time!",
        "signup_past": "This task is over",
        "signup_past_text": "Thank you for signing up!",
        "signup_erased": "This sign-up belongs to nobody any more",
        "signup_erased_text": "The data of the person who signed up has been erased. There "
        "is nothing more to do here.",
        "signup_attended": "Thank you for your help!",
        "signup_attended_text": "You were there. It doesn't happen without people like you.",
        "keep_page": "Keep this page: you can also cancel here.",
        "cancel_title": "Can't make it after all?",
        "cancel_text": "Please cancel, so your spot goes to someone else.",
        "cancel_button": "Cancel my sign-up",
        "forget_title": "Erase your data",
        "forget_text": "We then remove your name and contact details for good. Your sign-ups "
        "for tasks still to come are cancelled.",
        "forget_contact_label": "To check: the phone number or e-mail address you signed up with",
        "forget_mismatch": "This is not the phone number or e-mail address of this sign-up. "
        "Please check how you typed it.",
        "forget_button": "Erase my data",
        "forgotten_title": "Your data has been erased",
        "forgotten_text": "We have removed your name and contact details. Thank you for your "
        "help, and you are always welcome back!",
        "not_found_title": "This page does not exist (any more)",
        "not_found_text": "Check that the link is right, or ask the organisation to send it again.",
        "error_title": "Something went wrong",
        "error_text": "Please try again in a few minutes.",
        "privacy_title": "What we keep about you",
        "privacy_what": "Your name, your phone number or e-mail address, and which tasks you "
        "sign up for.",
        "privacy_why": "To pass your sign-up on to the task's organisation and to send you "
        "messages: a confirmation, a change, a reminder, a thank-you. The organisation sees "
        "your name, and until the task is over also how to reach you. We never sell or share "
        "your data with others.",
        "privacy_how_long": "As long as you are registered. Once you have your data erased, "
        "only anonymous counts and hours remain.",
        "privacy_forget": "Open the link in one of our messages about your sign-up and choose "
        "‘Erase my data’. Send us STOP on WhatsApp and you will get no more messages.",
        "privacy_what_title": "What",
        "privacy_why_title": "Why",
        "privacy_how_long_title": "How long",
        "privacy_forget_title": "Being forgotten",
    },
}

_cur = "seeds_more"

# --- 000 / 001 shared column (Edward Dark, Al-Monitor, 2014) -------------
A(
    "Which sect largely populates the regime stronghold where Kassab is located?",
    ["Alawites"],
    [D("The shock came when a new front opened", "largely composed of Alawites.")],
    ["who", "paraphrase"],
)
A(
    "Why did Ahmad Jarba visit the front lines, according to the columnist?",
    ["to maintain the appearance of relevance", "maintain the appearance of relevance"],
    [D("Syrian National Coalition head Ahmad Jarba", "but rather fighting the regime.")],
    ["why", "lexical"],
)
A(
    "How would the opposition leader's reassurances probably come across to people living near the fighting?",
    ["hollow", "undoubtedly sound hollow"],
    [D("Such words would undoubtedly sound hollow", "with the same message.")],
    ["how", "paraphrase"],
)
A(
    "Gen. Salim Idriss belonged to which armed group?",
    ["the Free Syrian Army", "Free Syrian Army"],
    [D("Such words would undoubtedly sound hollow", "with the same message.")],
    ["who", "lexical"],
)
A(
    "Should the risks in Latakia be played down, in the author's view?",
    ["should not be understated", "real and should not be understated"],
    [D("Latakia is a tinderbox", "should not be understated.")],
    ["how", "paraphrase"],
)
A(
    "What route to a breakaway statelet of their own do the hardline factions consider most effective?",
    ["Inciting genocide"],
    [D("They realize they cannot win the war", "the best way of achieving that result.", nl=True)],
    ["how", "multi-sentence", "paraphrase"],
)
A(
    "Apart from an electoral stunt, what else might Ankara's direct role in the conflict have signalled?",
    [
        "the beginning of a new phase in which Turkey became actively embroiled in its neighbor's war",
        "a new phase in which Turkey became actively embroiled in its neighbor's war",
    ],
    [D("Another equally important question is whether", "its neighbor's war.")],
    ["what", "paraphrase"],
)
A(
    "How had Assad's troops and their allies been faring around Aleppo before the rebels hit back?",
    ["a succession of rapid military gains", "rapid military gains"],
    [D("After a succession of rapid military gains", "their own offensive in late March.")],
    ["how", "paraphrase"],
)
A(
    "What does ISIS stand for?",
    ["Islamic State of Iraq and al-Sham"],
    [D("After the Islamic State of Iraq and al-Sham (ISIS) withdrew", "a chance to regroup.")],
    ["what", "lexical"],
)
A(
    "whom was ISIS fighting in Hasakah",
    ["the Kurds", "Kurds"],
    [D("After the Islamic State of Iraq and al-Sham (ISIS) withdrew", "a chance to regroup.")],
    ["who", "lexical"],
)
A(
    "What did the lifting of ISIS pressure culminate in?",
    [
        "an unprecedented assault on the northwestern entrance to the regime-held part of Aleppo",
        "an unprecedented assault",
    ],
    [D("This lifting of ISIS pressure culminated", "in the al-Zahra neighborhood.")],
    ["what", "lexical"],
)
A(
    "What sounds were piercing the quiet nights during the Aleppo fighting?",
    ["explosions, rockets and missiles", "the sounds of explosions, rockets and missiles"],
    [D("The fighting has been fierce and intense", "in the nearby Layramoun area.")],
    ["what", "lexical"],
)
A(
    "At what time of year was the battle near the air force intelligence building raging?",
    ["spring"],
    [D("The fighting has been fierce and intense", "in the nearby Layramoun area.")],
    ["when", "paraphrase"],
)
A(
    "where in aleppo's northeast did the rebels attack",
    ["the Damascus highway", "at the Damascus highway"],
    [D("In the last couple of days, the rebels have also attacked", "that dominates that area.")],
    ["where", "lexical"],
)
A(
    "What was the point of synchronising the two rebel assaults on Aleppo?",
    [
        "to pressure the regime in its most important bases",
        "pressure the regime in its most important bases",
    ],
    [
        D(
            "The attacks on the two fronts appear to be coordinated",
            "via the Khanaser military road.",
        )
    ],
    ["why", "paraphrase"],
)
A(
    "Who has borne the heavy cost of the renewed fighting in Aleppo?",
    ["the city's civilian population", "civilian population"],
    [D("Needless to say, the flare-up in violence", "civilian lives and casualties.")],
    ["who", "paraphrase"],
)
A(
    "The Aleppo hashtag drive was modelled on which earlier online effort?",
    ["#SaveKassab"],
    [
        D(
            "Meanwhile, activists have launched an online campaign",
            "campaign by the Armenian diaspora.",
        )
    ],
    ["what", "paraphrase"],
)
A(
    "Which part of Aleppo have the rebel strikes hit, causing many casualties?",
    ["regime-held west Aleppo", "west Aleppo"],
    [D("Although paling in comparison", "a high number of casualties.")],
    ["where", "lexical"],
)
A(
    "How does the toll of rebel strikes measure up against the destruction from government barrel bombs?",
    ["paling in comparison"],
    [D("The Aleppo campaign aims to draw attention", "a high number of casualties.")],
    ["how", "multi-sentence", "paraphrase"],
)
A(
    "For how many days has the shelling of Aleppo neighborhoods been particularly intense?",
    ["10", "The past 10 days"],
    [D("The past 10 days have been particularly intense", "killing and wounding dozens.")],
    ["number", "lexical"],
)
A(
    "Which area of Aleppo did rebel shelling hit on March 7?",
    ["Hamdanieh", "the Hamdanieh area"],
    [D("On March 7", "but failed to explode.")],
    ["where", "lexical"],
)
A(
    "On what date did a shell land on a crowded aid centre without going off?",
    ["March 6", "on March 6"],
    [D("On March 7", "but failed to explode.")],
    ["when", "date", "paraphrase"],
)
A(
    "How many innocent people are dying in Aleppo?",
    ["by the hundreds", "hundreds"],
    [D("The ones dying by the hundreds", "are all innocent.")],
    ["number", "lexical"],
)
A(
    "Where is the deadlock taking the country, in the writer's opinion?",
    ["down the path of open sectarian violence", "open sectarian violence"],
    [D("All in all, it appears that the Syrian conflict", "open sectarian violence.")],
    ["what", "paraphrase"],
)
A(
    "What shift does the columnist say is a real possibility at this volatile stage?",
    ["a shift into genocidal free fall", "genocidal free fall"],
    [D("Right now, Syria is at one of the most volatile", "a real possibility.")],
    ["what", "lexical"],
)
A(
    "What kind of help does Damascus claim Ankara is giving the insurgents near Kassab?",
    ["logistical and military support", "the logistical and military support the rebels need"],
    [D("Importantly, the Syrian regime accuses Turkey", "to take over the area.")],
    ["what", "paraphrase"],
)
A(
    "To what point has the fresh offensive pushed sectarian tensions?",
    ["a dangerous breaking point", "dangerous breaking point"],
    [D("This fresh offensive raises already strained", "Alawites and Christians.")],
    ["what", "lexical"],
)

# --- 000 only (headline, caption, lead) ----------------------------------
A(
    "What does the jihadist attack on Latakia raise fear of?",
    ["deeper sectarian warfare"],
    [E(0, "Jihadist attack on Latakia raises fear of deeper sectarian warfare")],
    ["what", "lexical"],
)
A(
    "How many mortar rounds landed on Turkish soil?",
    ["Three", "Three mortar rounds"],
    [E(0, "Three mortar rounds landed on Turkish soil", "Syrian President Bashar al-Assad")],
    ["number", "lexical"],
)
A(
    "What hit the mosque in Yayladagi?",
    ["mortar shells and a rocket"],
    [E(0, "The Turkish military fired back into Syria", "local media said.")],
    ["what", "lexical"],
)
A(
    "Who was the source for the report that Turkey shot back across the border?",
    [
        "the provincial governor's office and local media",
        "the provincial governor's office",
        "local media",
    ],
    [E(0, "The Turkish military fired back into Syria", "local media said.")],
    ["who", "paraphrase"],
)
A(
    "Which outside forces support the moderate rebels in the south, where the uprising began?",
    ["the West and regional powers"],
    [E(0, "Most Syria observers and analysts expected", "regional powers.")],
    ["who", "paraphrase"],
)

# --- 001 only (caption, byline) -------------------------------------------
A(
    "What is Edward Dark's Twitter handle?",
    ["@edwardedark"],
    [E(1, "Edward Dark (a pseudonym)", "On Twitter: @edwardedark")],
    ["what", "lexical"],
)
A(
    "Which Al-Monitor section does Edward Dark write for?",
    ["Syria Pulse", "Al-Monitor's Syria Pulse"],
    [E(1, "Edward Dark (a pseudonym)", "living in Aleppo.")],
    ["what", "lexical"],
)
A(
    "who took the photo of rebel fighters praying on the beach of al-Samra",
    ["REUTERS"],
    [E(1, "Rebel fighters pray at the beach", "(photo by REUTERS)")],
    ["who", "lexical"],
)
A(
    "Is the byline on the Aleppo column the writer's real name or a pen name?",
    ["a pseudonym", "pseudonym"],
    [E(1, "Edward Dark (a pseudonym)", "living in Aleppo.")],
    ["what", "paraphrase"],
)

# --- 002 (AP-style report, March 2025) ----------------------------------
A(
    "Who carried out the ambush on the security patrol near Latakia?",
    ["gunmen loyal to deposed leader Bashar Assad", "pro-Assad loyalists"],
    [
        E(2, "An attack on a Syrian security patrol", "according to a war monitor."),
        E(
            4,
            "The UK-based Syrian Observatory for Human Rights (SOHR) reported",
            "13 police officers.",
        ),
    ],
    ["who", "lexical"],
)
A(
    "What kind of organisation supplied the four-day toll of more than a thousand?",
    ["a war monitor", "war monitor"],
    [E(2, "An attack on a Syrian security patrol", "according to a war monitor.")],
    ["who", "paraphrase"],
)
A(
    "How did the bloodshed on the coast rank against anything seen since the old regime fell?",
    ["the most severe violence in Syria since December", "most severe violence"],
    [E(2, "The incident, which occurred near the port city", "in Syria since December.")],
    ["how", "paraphrase"],
)
A(
    "What kind of city is Latakia?",
    ["a port city", "port city"],
    [
        E(2, "The incident, which occurred near the port city", "in Syria since December."),
        E(3, "Syrian rebels launched a surprise offensive", "Qardaha on Monday."),
    ],
    ["what", "lexical"],
)
A(
    "What has the counteroffensive against Assad loyalists brought to several cities and towns?",
    ["chaos"],
    [E(2, "The counteroffensive against Assad loyalists", "several cities and towns.")],
    ["what", "lexical"],
)
A(
    "What had Syria's interim president promised to create?",
    ["an inclusive political future representing all communities", "an inclusive political future"],
    [E(2, "Despite promises from Syria", "the assaults persist.")],
    ["what", "lexical"],
)
A(
    "Opponents of Assad believed he unfairly favoured which community?",
    ["Alawites"],
    [E(2, "Opposition to Assad's rule perceived favoritism", "allies, Russia and Iran.")],
    ["who", "paraphrase"],
)
A(
    "Is everyone convinced the new leadership will deliver a more representative system?",
    ["doubts persist", "though doubts persist"],
    [E(2, "The new Sunni Islamist-led interim government", "though doubts persist.")],
    ["how", "paraphrase"],
)
A(
    "How much is known about the Alawite insurgency?",
    ["largely mysterious", "remains largely mysterious"],
    [E(2, "The Alawite insurgency, comprising remnants", "their foreign supporters.")],
    ["how", "lexical"],
)
A(
    "Who is among the dead, according to the AP report?",
    [
        "hundreds of civilians, government security personnel, and armed group members linked to Assad",
        "hundreds of civilians",
    ],
    [E(2, "The violence has claimed the lives", "members linked to Assad.")],
    ["who", "paraphrase"],
)
A(
    "Why are death tolls from Syria so hard to confirm?",
    [
        "conflicting reports on casualty figures have been common during attacks in Syria",
        "conflicting reports on casualty figures",
    ],
    [E(2, "The accuracy of these numbers could not be verified", "attacks in Syria.")],
    ["why", "paraphrase"],
)
A(
    "Where were the anonymous coastal residents concealed when they described the looting?",
    ["their hiding places", "hiding places"],
    [E(2, "Speaking from their hiding places", "these distressing details.")],
    ["where", "paraphrase"],
)
A(
    "For what purpose were government troops sent in, according to the authorities?",
    [
        "to combat armed groups loyal to the previous regime",
        "combat armed groups loyal to the previous regime",
    ],
    [
        E(
            2,
            "The violence against civilians was attributed by Damascus",
            "loyal to the previous regime.",
        )
    ],
    ["why", "paraphrase"],
)
A(
    "In what part of the country are the Kurdish-led authorities Damascus has to deal with?",
    ["the northeast", "northeast"],
    [E(2, "Damascus has faced challenges in gaining the trust", "Druze minority in the south.")],
    ["where", "paraphrase"],
)
A(
    "Whose trust has Damascus had trouble gaining?",
    ["critics of its Islamist rule"],
    [E(2, "Damascus has faced challenges in gaining the trust", "Druze minority in the south.")],
    ["who", "lexical"],
)
A(
    "Which governments does al-Sharaa want to lift their sanctions?",
    ["the United States and Europe", "United States and Europe"],
    [E(2, "Al-Sharaa has been advocating for the lifting of sanctions", "revitalize the country.")],
    ["who", "lexical"],
)
A(
    "Apart from kick-starting the economy, what would easing the penalties on Syria help do?",
    ["alleviate poverty", "revitalize the country"],
    [E(2, "Al-Sharaa has been advocating for the lifting of sanctions", "revitalize the country.")],
    ["why", "paraphrase"],
)
A(
    "what must syria transition to before washington and europe lift sanctions",
    ["an inclusive political system", "inclusive political system"],
    [E(2, "However, Washington and Europe are cautious", "return to autocratic governance.")],
    ["what", "lexical"],
)
A(
    "Whom did the interim leader say should be made to answer for their conduct?",
    ["those who harm civilians and mistreat prisoners"],
    [E(2, "Al-Sharaa called for accountability", "human rights violations under Assad.")],
    ["who", "paraphrase"],
)
A(
    "What position does Marco Rubio hold?",
    ["U.S. Secretary of State", "Secretary of State"],
    [
        E(2, "In a statement released on Sunday", "these massacres accountable."),
        E(4, "The United States mirrored these sentiments", "against Syria's interim government."),
    ],
    ["what", "lexical"],
)
A(
    "After the loyalist gunmen took over Assad's birthplace, what did the military authorities later announce?",
    [
        "security forces have regained control of the region",
        "regained control of the region",
    ],
    [E(2, "In the ambush, pro-Assad Alawite gunmen", "leaders of the insurgency.")],
    ["what", "multi-sentence", "paraphrase"],
)
A(
    "The community believed to account for most of the dead formed what part of the former president's backing?",
    ["a significant part of Assad's support base", "support base"],
    [E(2, "Most of the casualties are believed to be Alawites", "Sunni-majority country.")],
    ["what", "multi-sentence", "paraphrase"],
)

# --- 003 (2013 offensive into the Alawite heartland) --------------------
A(
    "what day were the insurgents advancing on the president's birthplace",
    ["Monday", "on Monday"],
    [E(3, "Syrian rebels launched a surprise offensive", "Qardaha on Monday.")],
    ["when", "paraphrase"],
)
A(
    "In which direction did the ten brigades advance from Qardaha?",
    ["south"],
    [E(3, "Ten mainly Islamist brigades", "the news agency Reuters.")],
    ["where", "lexical"],
)
A(
    "What natural advantage did the Islamist units exploit on their way toward Aramo?",
    ["the rugged terrain", "rugged terrain"],
    [E(3, "Ten mainly Islamist brigades", "the news agency Reuters.")],
    ["how", "paraphrase"],
)
A(
    "Which wire service did activists brief about the push toward Aramo?",
    ["Reuters", "the news agency Reuters"],
    [E(3, "Ten mainly Islamist brigades", "the news agency Reuters.")],
    ["who", "paraphrase"],
)
A(
    "What did the rebels take that overlooks Salma?",
    ["the army position", "army position"],
    [E(3, "Videos taken by activists showed rebels firing", "Sunni provinces in the east.")],
    ["what", "lexical"],
)
A(
    "Which fighters have been the most successful at battling the uprising?",
    [
        "Assad's core praetorian guard units",
        "fighters from the Lebanese militant organization Hezbollah",
        "Hezbollah",
    ],
    [E(3, "The area is the main recruiting ground", "financed by Syria's ally Iran.")],
    ["who", "paraphrase"],
)
A(
    "Which suspected strategy of Assad's could the offensive undermine?",
    [
        "shielding the Alawite province as well as major cities in the west of the country",
        "shielding the Alawite province",
    ],
    [E(3, "The offensive risk both exacerbating", "River valley in the east.")],
    ["what", "lexical"],
)
A(
    "Which capital is among the western cities the president hoped to protect from the insurgency?",
    ["Damascus", "the capital Damascus"],
    [E(3, "The offensive risk both exacerbating", "River valley in the east.")],
    ["where", "paraphrase"],
)
A(
    "Where did some of the heaviest fighting this year take place?",
    ["in and around the city of Qusayr", "Qusayr"],
    [E(3, "Reports of ethnic cleansing earlier surfaced", "a government stronghold.")],
    ["where", "lexical"],
)
A(
    "Tartus lies on which sea?",
    ["the Mediterranean", "Mediterranean"],
    [E(3, "Reports of ethnic cleansing earlier surfaced", "a government stronghold.")],
    ["where", "paraphrase"],
)
A(
    "Which city anchors the southern end of the Alawite homeland?",
    ["Tartus"],
    [E(3, "Whether Assad's aim is to retreat", "opening into such a redoubt.")],
    ["where", "paraphrase"],
)
A(
    "Instead of retreating into the Alawite homeland, what larger goal might Assad pursue?",
    [
        "secure a larger belt of territory that includes Damascus and Homs",
        "a larger belt of territory",
    ],
    [E(3, "Whether Assad's aim is to retreat", "opening into such a redoubt.")],
    ["what", "lexical"],
)
A(
    "How long did the heavy fighting for Qusayr last before loyalist forces recaptured it?",
    ["weeks", "weeks of heavy fighting"],
    [E(3, "Loyalist forces recaptured the city", "weeks of heavy fighting.")],
    ["number", "lexical"],
)
A(
    "In which part of Syria is the rebel incursion?",
    ["the northwest", "northwest"],
    [E(3, "A rebel incursion in the northwest risks", "sectarian divide.")],
    ["where", "lexical"],
)

# --- 004 (March 2025 coastal massacres) ---------------------------------
A(
    "Apart from the two coastal governorates, which other area was caught up in the new wave of killings?",
    ["parts of Homs", "Homs"],
    [
        E(
            4,
            "Syria's coastal governorates of Latakia and Tartus",
            "primarily from the Alawite community.",
        )
    ],
    ["where", "paraphrase"],
)
A(
    "When did the violence that began on 6 March escalate?",
    ["over the weekend"],
    [E(4, "This surge in violence, which started on 6 March", "prevent further atrocities.")],
    ["when", "lexical"],
)
A(
    "Are conditions for civilians getting better or worse as the bloodshed goes on?",
    ["rapidly deteriorating"],
    [E(4, "As the violence persists, the humanitarian situation", "rapidly deteriorating.")],
    ["how", "paraphrase"],
)
A(
    "What did the SOHR director say indicated deliberate ethnic cleansing?",
    ["the scale and brutality of the attacks", "scale and brutality"],
    [E(4, "SOHR Director Rami Abdulrahman", 'deliberate ethnic cleansing".')],
    ["what", "lexical"],
)
A(
    "Who is the UN Secretary-General?",
    ["António Guterres", "Guterres"],
    [
        E(
            4,
            "UN Secretary-General António Guterres, through his spokesperson",
            "must be prioritised.",
        )
    ],
    ["who", "lexical"],
)
A(
    "Per the UN's top official, what should take priority?",
    [
        "The protection of civilians and adherence to international humanitarian law",
        "protection of civilians",
    ],
    [
        E(
            4,
            "UN Secretary-General António Guterres, through his spokesperson",
            "must be prioritised.",
        )
    ],
    ["what", "multi-sentence", "paraphrase"],
)
A(
    "In the UN rights chief's view, what legal category do many of the killings probably fall into?",
    ["crimes under international law"],
    [
        E(
            4,
            "High Commissioner for Human Rights Volker Türk reinforced",
            "crimes under international law.",
            nl=True,
        )
    ],
    ["what", "multi-sentence", "paraphrase"],
)
A(
    "According to Rubio, what should no government that harbours such crimes expect?",
    ["diplomatic legitimacy or international tolerance"],
    [E(4, "Calling the massacres", "international tolerance.")],
    ["what", "lexical"],
)
A(
    "How do analysts characterise the juncture Syria's war has arrived at?",
    ["a critical turning point", "critical turning point"],
    [E(4, "Analysts warn that Syria's conflict has reached", "escalating the violence.")],
    ["what", "paraphrase"],
)
A(
    "Who should be denied any refuge, in the American secretary's words?",
    ["those who commit mass murder"],
    [E(4, "There must be no safe haven", "prevent further bloodshed.")],
    ["who", "paraphrase"],
)
A(
    "What did Berlin's envoy demand?",
    [
        "an end to sectarian violence and a renewed commitment to national unity, inclusive political dialogue and transitional justice",
        "an end to sectarian violence",
    ],
    [E(4, "Germany's Special Envoy for Syria, Stefan Schneck", "transitional justice.")],
    ["what", "paraphrase"],
)
A(
    "Why has Turkey's involvement in the crisis come under sharp scrutiny?",
    [
        "Turkish-backed factions played a direct role in the massacres of Alawite civilians",
        "a direct role in the massacres",
    ],
    [E(4, "Amid the international outcry", "massacres of Alawite civilians.")],
    ["why", "multi-sentence", "lexical"],
)
A(
    "What does the Alawite resistance to HTS rule mirror?",
    ["past Assad-era centralisation", "Assad-era centralisation"],
    [
        E(
            4,
            "Intensifying clashes in Syria's coastal provinces on 7 March",
            "Assad-era centralisation.",
        )
    ],
    ["what", "lexical"],
)
A(
    "What worry has the militias' part in the latest coastal killings deepened?",
    [
        "that Turkish-backed groups are systematically targeting minority communities in western Syria",
        "Turkish-backed groups are systematically targeting minority communities",
    ],
    [E(4, "Their involvement in this latest massacre", "in western Syria.")],
    ["what", "paraphrase"],
)
A(
    "Which city did the boasting fighter say was now half dead and half Sunni?",
    ["Banyas"],
    [E(4, "Golani Terrorist boasts", 'we killed them all, Allahu Akbar"')],
    ["where", "lexical"],
)
A(
    "On what date was the Banyas boast tweeted?",
    ["March 9, 2025"],
    [E(4, "Golani Terrorist boasts", "March 9, 2025", nl=True)],
    ["when", "date", "lexical"],
)
A(
    "According to Mazloum Abdi, who supports the factions responsible for the massacres?",
    ["Turkey and Islamic extremists"],
    [E(4, "The factions responsible are supported", "Turkey and Islamic extremists.")],
    ["who", "lexical"],
)
A(
    "What does the fighters' vow to head for the PKK's mountain base suggest about their ambitions?",
    [
        "an intent to expand their campaign far beyond Syria's coastal regions",
        "expand their campaign far beyond Syria's coastal regions",
    ],
    [
        E(
            4,
            "In one video, militants can be heard pledging",
            "potential escalations into Kurdish areas.",
        )
    ],
    ["what", "multi-sentence", "paraphrase"],
)
A(
    "What purpose did the human rights researcher ascribe to the slaughter?",
    [
        "to consolidate extremist control over Syria's diverse communities",
        "consolidate extremist control",
    ],
    [E(4, '"Not only a war crime but a calculated act', "Syria's diverse communities.")],
    ["why", "paraphrase"],
)
A(
    "By what other name is Ahmed al-Sharaa known?",
    ["al-Julani"],
    [E(4, "Syria's interim president, Ahmed al-Sharaa (al-Julani)", "handling of the crisis.")],
    ["who", "lexical"],
)
A(
    "Why might attempts to deal with the atrocities be blocked?",
    ["Turkey's continued influence over HTS"],
    [E(4, "Furthermore, Turkey's continued influence over HTS", "may be obstructed.")],
    ["why", "paraphrase"],
)
A(
    "Whose men did Israel's top diplomat say had slaughtered their own people?",
    ["Jolani's men"],
    [E(4, "This weekend, the masks came off", "New Syria'.")],
    ["who", "paraphrase"],
)
A(
    "What does Sa'ar say Europe must do besides not failing to read the reality?",
    ["wake up", "It must wake up"],
    [E(4, "Europe must not fail in reading the reality", "It must wake up.")],
    ["what", "multi-sentence", "lexical"],
)
A(
    "What did Özgür Özel want Ankara to do?",
    ["engage diplomatically with Damascus"],
    [E(4, "Republican People's Party (CHP) leader", "further civilian casualties.")],
    ["what", "paraphrase"],
)
A(
    "How have Turkish pro-government outlets tried to deflect criticism?",
    [
        "arguing that the situation is too complex to attribute to Turkish intervention alone",
        "the situation is too complex to attribute to Turkish intervention alone",
    ],
    [E(4, "Pro-government media in Turkey have sought to deflect", "Turkish intervention alone.")],
    ["how", "lexical"],
)
A(
    "Roughly how many Alawite households have run away from the violence?",
    ["Thousands", "Thousands of Alawite families"],
    [E(4, "Thousands of Alawite families have reportedly fled", "further sectarian reprisals.")],
    ["number", "paraphrase"],
)
A(
    "Besides a UN investigation, what did HRW's urgent appeal call for?",
    [
        "unhindered humanitarian access",
        "the immediate cessation of all support to factions engaged in ethnic cleansing",
    ],
    [E(4, "HRW has issued an urgent appeal", 'engaged in ethnic cleansing".')],
    ["what", "lexical"],
)
A(
    "Which group has the transitional government failed to keep in check?",
    ["HTS"],
    [
        E(
            4,
            "The continued influence of Turkish-backed extremist factions",
            "ongoing threat to stability.",
        )
    ],
    ["who", "paraphrase"],
)

# --- unanswerable: on-topic, fact absent from all five texts -------------
U("Which Armenian diaspora organisation launched the #SaveKassab campaign?", OM + ["who"])
U(
    "What is the name of the relief agency whose center was hit by a dud shell on March 6?",
    OM + ["what"],
)
U(
    "Which rebel faction led the assault on the air force intelligence headquarters in al-Zahra?",
    OM + ["who"],
)
U("When did ISIS withdraw from most of Aleppo province?", OM + ["when", "date"])
U("How long is the Khanaser military road?", OM + ["number"])
U("Which party won the Turkish local elections mentioned in the Al-Monitor column?", OM + ["who"])
U("When did Edward Dark start writing for Al-Monitor?", OM + ["when", "date"])
U("Who succeeded Ahmad Jarba as head of the Syrian National Coalition?", OM + ["who"])
U("On what date did Michel Kilo condemn the Kassab offensive?", OM + ["when", "date"])
U("how far is Kassab from the Turkish border", OM + ["number"])
U("Which church in Kassab was damaged in the fighting?", OM + ["what"])
U("How many people were killed in the fighting in the Layramoun area?", OM + ["number"])
U("Who is the governor of Latakia province?", OM + ["who"])
U(
    "Which regime units were sent to reinforce Latakia during the Kassab offensive? Name them.",
    OM + ["who"],
)
U("How many Kurds live in Hasakah province?", OM + ["number"])
U("Which hospital in Latakia was attacked during the March 2025 violence?", OM + ["what", "where"])
U("How many schools were destroyed in the coastal violence of March 2025?", OM + ["number"])
U("How many people were killed in Homs province during the March 2025 violence?", OM + ["number"])
U("When will the United States lift its sanctions on Syria?", OM + ["when"])
U("What sanctions did the European Union impose on HTS after the coastal massacres?", OM + ["what"])
U("What did Benjamin Netanyahu say about the killings on the Syrian coast?", OM + ["what"])
U(
    "How did President Erdogan respond to the accusations against Turkish-backed factions?",
    OM + ["how"],
)
U("Who is the spokesperson of Syria's Defense Ministry?", OM + ["who"])
U(
    "How many insurgency leaders have security forces captured since regaining control of the coast?",
    OM + ["number"],
)
U("Which Reuters correspondent reported the rebel advance on Aramo?", OM + ["who"])
U("How many tanks did the rebels seize near Salma?", OM + ["number"])
U("how many Hezbollah fighters are in Syria", OM + ["number"])
U("How much money does Iran give Hezbollah each year?", OM + ["number"])
U("What is the population of Qardaha?", OM + ["number"])
U("How many people died in the battle for Qusayr?", OM + ["number"])
U("When did the battle for Qusayr begin?", OM + ["when", "date"])
U("How much oil passes through the Baniyas terminal each day?", OM + ["number"])
U("Which rebel group held Qusayr before the loyalists recaptured it?", OM + ["who"])
U("How many fighters does the Hamza Division have?", OM + ["number"])
U("When was Stefan Schneck appointed Germany's special envoy for Syria?", OM + ["when", "date"])
U(
    "How many investigators has the UN sent to Syria's coast to look into the massacres?",
    OM + ["number"],
)
U("When did Marco Rubio become Secretary of State?", OM + ["when", "date"])
U(
    "Which town in Afrin were the Sultan Suleiman Shah and Hamza divisions accused of attacking?",
    OM + ["where"],
)
U("Who is the leader of the PKK?", OM + ["who"])
U("How many civilians were killed in Jableh during the coastal violence?", OM + ["number"])
U("How many Alawites sought shelter at Russia's Hmeimim air base?", OM + ["number"])
U("How many Syrians fled into Lebanon because of the coastal massacres?", OM + ["number"])
U(
    "When did the Syrian Democratic Forces sign an agreement with the Damascus government?",
    OM + ["when", "date"],
)
U("What did the Arab League say about the March 2025 killings of Alawites?", OM + ["what"])
U("Which of Assad's relatives commanded his praetorian guard units?", OM + ["who"])
U("How many seats does the CHP hold in Turkey's parliament?", OM + ["number"])

# --- unanswerable: off-topic ----------------------------------------------
U("Who painted the Mona Lisa?", OT + ["who"])
U("how do I reset my wifi router", OT + ["how"])
U("What is the largest ocean on Earth?", OT + ["what"])
U("When did the Berlin Wall fall?", OT + ["when", "date"])
